"""Helpers shared by the LLM-judge tests: judge settings pointing at a stub server, and records."""

from __future__ import annotations

from pathlib import Path

from tests.openai_stub_server import StubProcess
from vscbench_task.docs import docs_for
from vscbench_task.llm_judge.settings import JudgeSettings, from_env
from vscbench_task.records import Record, make_record

FAKE_KEY = "sk-vscbench-TESTKEY-7f3a9c1e5d"  # distinctive, so a leak is easy to grep for


def judge_env(stub: StubProcess, cache: Path, **extra: str) -> dict[str, str]:
    """A complete judge environment for ``stub``: fast retries, short timeout, no preflight by default."""
    return {
        "OPENAI_API_KEY": FAKE_KEY,
        "OPENAI_API_URL": stub.url,
        "VSCBENCH_JUDGE_CACHE": str(cache),
        "VSCBENCH_JUDGE_TIMEOUT": "0.5",
        "VSCBENCH_JUDGE_RETRIES": "3",
        "VSCBENCH_JUDGE_BACKOFF": "0.01",
        "VSCBENCH_JUDGE_BACKOFF_MAX": "0.05",
        "VSCBENCH_JUDGE_PREFLIGHT": "0",
        **extra,
    }


def judge_settings(stub: StubProcess, cache: Path, **extra: str) -> JudgeSettings:
    return from_env(judge_env(stub, cache, **extra))


def records(responses: list[str], part: str = "image") -> list[Record]:
    """One judge-task record per response, on the first docs of ``part``."""
    docs = docs_for(part)
    assert len(responses) <= len(docs)
    return [make_record(doc, text, keep_response=True) for doc, text in zip(docs, responses, strict=False)]
