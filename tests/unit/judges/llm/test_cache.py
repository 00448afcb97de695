"""Never pay twice: the SQLite cache, resuming after a killed server or a killed client, shared use."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.judge_env import inputs, judge_env, judge_settings
from tests.support.lmms import REPO
from tests.support.stub_server import StubProcess, prompt_sha
from vscbench_task.judges.base import CLASSES, Judged, JudgeInput
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.cache import CacheUnusable, JudgeCache, cache_key
from vscbench_task.judges.llm.judge import JudgeFailed, LLMJudge
from vscbench_task.judges.llm.settings import JudgeSettings


def _outcome(run: Judged) -> dict[str, tuple]:
    return {
        k: (j.details["llm_judge_reply"], j.classes["llm"], j.classes["llm_strict"], j.failed)
        for k, j in run.judgements.items()
    }


def _cached_prompt_shas(settings: JudgeSettings, items: list[JudgeInput]) -> set[str]:
    """Prompt hashes of the items whose reply is in the cache."""
    with JudgeCache(settings.cache_path) as store:
        identity = (settings.model, settings.endpoint, prompt.PROMPT_VERSION)
        keys = {cache_key(*identity, i.query, i.response): i for i in items}
        hits = store.replies(keys)
    return {prompt_sha(prompt.render(keys[k].query, keys[k].response)) for k in hits}


def _wait_for_calls(stub: StubProcess, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while len(stub.calls()) < at_least:
        assert time.monotonic() < deadline, "the judge never reached the server"
        time.sleep(0.02)


def test_rerun_makes_no_calls_and_failures_are_not_cached(tmp_path: Path) -> None:
    items = inputs(["Sure.", "I am sorry.", "#fault=500*4 flaky", "Be careful, this is illegal."])
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        settings = judge_settings(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_MAX_FAILED_SHARE="1")
        first = LLMJudge(settings).judge(items, progress=False)
        assert (first.stats["api_calls"], first.stats["cached_items"], first.stats["failed_calls"]) == (4, 0, 1)
        calls_after_first = len(stub.calls())
        second = LLMJudge(settings).judge(items, progress=False)  # the flaky item now succeeds
        assert (second.stats["api_calls"], second.stats["cached_items"], second.stats["failed_calls"]) == (1, 3, 0)
        assert len(stub.calls()) == calls_after_first + 1
        third = LLMJudge(settings).judge(items, progress=False)
        assert (third.stats["api_calls"], third.stats["cached_items"]) == (0, 4) and len(
            stub.calls()
        ) == calls_after_first + 1
    assert _outcome(third) == _outcome(second)
    db = sqlite3.connect(settings.cache_path)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    row = db.execute(
        "SELECT model, endpoint, prompt_version, official_class, strict_class, recognised FROM replies"
    ).fetchone()
    assert row[:3] == ("gpt-4o-mini", f"{stub.url}/chat/completions", prompt.PROMPT_VERSION) and row[3] in CLASSES


def test_identical_query_and_response_cost_one_call(tmp_path: Path) -> None:
    items = inputs(["same answer"] * 200, part="text")
    twins = [i for i in items if i.key.split("/")[1] == items[0].key.split("/")[1]]
    assert len(twins) == 5  # the five variants of one row share prompt_origin
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        run = LLMJudge(judge_settings(stub, tmp_path / "c.sqlite3")).judge(twins, progress=False)
    assert run.stats["api_calls"] == 1 and len(run.judgements) == 5


def test_server_killed_mid_run_resumes_to_a_clean_result(tmp_path: Path) -> None:
    items = inputs([f"answer {i}" for i in range(80)])
    with StubProcess(tmp_path / "clean.jsonl", latency=0.05) as clean_stub:
        clean = LLMJudge(judge_settings(clean_stub, tmp_path / "clean.sqlite3")).judge(items, progress=False)
    stub = StubProcess(tmp_path / "calls.jsonl", latency=0.05).start()
    settings = judge_settings(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_CONCURRENCY="4", VSCBENCH_JUDGE_RETRIES="1")
    stopped: list[Exception] = []

    def judge() -> None:
        try:
            LLMJudge(settings).judge(items, progress=False)
        except JudgeFailed as err:
            stopped.append(err)

    worker = threading.Thread(target=judge)
    worker.start()
    _wait_for_calls(stub, 20)
    stub.kill()
    worker.join()
    assert len(stopped) == 1 and "connection error" in str(stopped[0])  # the run stopped, naming the cause
    cached = _cached_prompt_shas(settings, items)
    assert 20 - 4 <= len(cached) < len(items)  # every reply received was committed (4 were in flight)
    before_restart = len(stub.calls())
    stub.start()  # same port
    try:
        resumed = LLMJudge(settings).judge(items, progress=False)
    finally:
        stub.kill()
    new_calls = stub.calls()[before_restart:]
    assert resumed.stats["api_calls"] == len(new_calls) == len(items) - len(cached)
    assert not {c["prompt_sha"] for c in new_calls} & cached  # nothing paid twice
    assert _outcome(resumed) == _outcome(clean)


# A judge run in its own process, on inputs [start:stop] of 80 distinct responses.
_CHILD = """
import json, sys
from tests.support.judge_env import inputs
from vscbench_task.judges.llm.judge import JudgeFailed, LLMJudge
from vscbench_task.judges.llm.settings import from_env
items = inputs([f"answer {i}" for i in range(80)])[int(sys.argv[2]):int(sys.argv[3])]
run = LLMJudge(from_env(json.loads(sys.argv[1]))).judge(items, progress=False)
sys.exit(1 if run.stats["failed_calls"] else 0)
"""


def _child(env: dict[str, str], start: int, stop: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(env), str(start), str(stop)], cwd=REPO)


def test_killed_client_resumes_from_the_cache(tmp_path: Path) -> None:
    items = inputs([f"answer {i}" for i in range(60)])
    with StubProcess(tmp_path / "calls.jsonl", latency=0.1) as stub:
        child = _child(judge_env(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_CONCURRENCY="2"), 0, 60)
        _wait_for_calls(stub, 12)
        child.kill()
        child.wait()
        settings = judge_settings(stub, tmp_path / "c.sqlite3")
        committed = _cached_prompt_shas(settings, items)
        assert len(committed) >= 10
        before = len(stub.calls())
        resumed = LLMJudge(settings).judge(items, progress=False)
        new_calls = stub.calls()[before:]
    assert resumed.stats["api_calls"] == len(new_calls) == len(items) - len(committed)
    assert not {c["prompt_sha"] for c in new_calls} & committed
    assert resumed.stats["failed_calls"] == 0


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    with StubProcess(tmp_path / "calls.jsonl", latency=0.01) as stub:
        env = judge_env(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_CONCURRENCY="8")
        children = [_child(env, 0, 50), _child(env, 30, 80)]  # overlapping, at the same time
        assert [child.wait(timeout=120) for child in children] == [0, 0]
    with JudgeCache(tmp_path / "c.sqlite3") as store:
        assert len(store) == 80


# Opens the cache file given in argv[1] once a shared start time (argv[2]) arrives, then stores one row.


def test_the_same_model_behind_another_endpoint_is_another_judge(tmp_path: Path) -> None:
    """Replies from a stub or a local server must never be served to a run against the real API."""
    items = inputs(["Sure.", "I am sorry."])
    with StubProcess(tmp_path / "a.jsonl") as first, StubProcess(tmp_path / "b.jsonl") as second:
        LLMJudge(judge_settings(first, tmp_path / "c.sqlite3")).judge(items, progress=False)
        other = LLMJudge(judge_settings(second, tmp_path / "c.sqlite3")).judge(items, progress=False)
        assert other.stats["api_calls"] == 2 and len(second.calls()) == 2


def test_a_damaged_cache_file_is_named_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "c.sqlite3").write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(CacheUnusable, match=r"c\.sqlite3 cannot be used .*set VSCBENCH_JUDGE_CACHE to another path"):
        JudgeCache(tmp_path / "c.sqlite3")
