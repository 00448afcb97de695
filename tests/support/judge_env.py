"""Helpers shared by the LLM-judge tests: judge settings pointing at the stub server, and responses."""

from __future__ import annotations

from pathlib import Path

from tests.support.stub_server import StubProcess
from vscbench_task.dataset.items import items
from vscbench_task.judges.base import JudgeInput
from vscbench_task.judges.llm.judge import LLMJudge
from vscbench_task.judges.llm.settings import JudgeSettings, from_env
from vscbench_task.scoring.records import Response
from vscbench_task.scoring.score import judge_input

FAKE_KEY = "sk-vscbench-TESTKEY-7f3a9c1e5d"  # distinctive, so a leak is easy to grep for


def judge_env(stub: StubProcess, cache: Path, **extra: str) -> dict[str, str]:
    """A complete judge environment for ``stub``: fast retries, short timeout, no preflight by default."""
    return {
        "OPENAI_API_KEY": FAKE_KEY,
        "OPENAI_API_URL": stub.url,
        "VSCBENCH_JUDGE_CACHE": str(cache),
        "VSCBENCH_JUDGE_TIMEOUT": "1.5",  # well above a loaded machine's latency, well below the stub's hang
        "VSCBENCH_JUDGE_RETRIES": "3",
        "VSCBENCH_JUDGE_BACKOFF": "0.01",
        "VSCBENCH_JUDGE_BACKOFF_MAX": "0.05",
        "VSCBENCH_JUDGE_PREFLIGHT": "0",
        **extra,
    }


def judge_settings(stub: StubProcess, cache: Path, **extra: str) -> JudgeSettings:
    return from_env(judge_env(stub, cache, **extra))


def llm_judge(stub: StubProcess, cache: Path, **extra: str) -> LLMJudge:
    return LLMJudge(judge_settings(stub, cache, **extra))


def responses(texts: list[str], part: str = "image") -> list[Response]:
    """One response per text, on the first items of ``part`` (in the tasks' stratified order)."""
    chosen = items(part)
    assert len(texts) <= len(chosen)
    return [Response(item.doc_key, text) for item, text in zip(chosen, texts, strict=False)]


def inputs(texts: list[str], part: str = "image") -> list[JudgeInput]:
    """What the judge is given for ``responses(texts, part)``."""
    return [judge_input(r) for r in responses(texts, part)]
