"""Throughput of the LLM judge: all 4,050 docs against a stub endpoint with a fixed latency.

Three measurements in one run, against the same stub server (``tests/openai_stub_server.py``, a real
HTTP server on 127.0.0.1 answering after ``--latency`` seconds):

* ``concurrent``: ``judge_records`` on every doc with an empty cache, ``--concurrency`` calls in flight
  (what the judge tasks' aggregation and ``vscbench rescore`` do), against the ideal
  ``calls x latency / concurrency``;
* ``cached rerun``: the same call again; every reply comes from the SQLite cache;
* ``per doc, 4 threads``: one blocking judge call per doc from 4 worker threads, as a judge called in
  lmms-eval's ``process_results`` would run, on the first ``--subset`` docs, extrapolated to all docs
  (labelled as such). Its best case: each thread keeps its connection, and no cache work is done.

Every doc gets a distinct response, so no two docs share a call. Usage::

    python -m benchmarks.bench_judge [--latency 0.1] [--concurrency 16] [--subset 400] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx

from tests.support.stub_server import StubProcess
from vscbench_task.dataset.items import items
from vscbench_task.judges.base import JudgeInput
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.client import CallResult, complete, open_http
from vscbench_task.judges.llm.judge import LLMJudge
from vscbench_task.judges.llm.settings import JudgeSettings, from_env
from vscbench_task.scoring.records import Response
from vscbench_task.scoring.score import judge_input


def all_inputs() -> list[JudgeInput]:
    every = items("image") + items("text")
    return [judge_input(Response(item.doc_key, f"Answer number {i} to this request.")) for i, item in enumerate(every)]


T = TypeVar("T")


def settings_for(stub: StubProcess, cache: Path, concurrency: int) -> JudgeSettings:
    env = {"OPENAI_API_KEY": "sk-bench", "OPENAI_API_URL": stub.url, "VSCBENCH_JUDGE_CACHE": str(cache)}
    env |= {"VSCBENCH_JUDGE_CONCURRENCY": str(concurrency), "VSCBENCH_JUDGE_PREFLIGHT": "0"}
    return from_env(env)


def per_doc(records: list[JudgeInput], settings: JudgeSettings, threads: int = 4) -> list[CallResult]:
    """One blocking call per doc from ``threads`` workers, each reusing its own loop and connection."""
    local = threading.local()
    opened: list[tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = []

    def judge_one(record: JudgeInput) -> CallResult:
        if not hasattr(local, "loop"):
            local.loop, local.http = asyncio.new_event_loop(), open_http(settings)
            opened.append((local.loop, local.http))
        text = prompt.render(record.query, record.response)
        return local.loop.run_until_complete(complete(local.http, settings, text))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(judge_one, records))
    for loop, http in opened:
        loop.run_until_complete(http.aclose())
        loop.close()
    return results


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="stub answer latency in seconds")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--subset", type=int, default=400, help="docs for the per-doc baseline")
    parser.add_argument("--workdir", type=Path, help="where caches and the call log go (default: a temp dir)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_judge_"))
    work.mkdir(parents=True, exist_ok=True)
    records = all_inputs()
    n = len(records)
    with StubProcess(work / "calls.jsonl", latency=args.latency) as stub:
        settings = settings_for(stub, work / "concurrent.sqlite3", args.concurrency)
        concurrent_s, first = timed(lambda: LLMJudge(settings).judge(records))
        calls_first = len(stub.calls())
        cached_s, again = timed(lambda: LLMJudge(settings).judge(records, progress=False))
        calls_again = len(stub.calls()) - calls_first
        subset = records[: args.subset]
        per_doc_s, singles = timed(lambda: per_doc(subset, dataclasses.replace(settings, concurrency=1)))
    assert not any(result.failed for result in singles)
    assert first.stats["api_calls"] == calls_first == n and first.stats["failed_calls"] == 0, "one call per doc"
    assert again.stats["api_calls"] == calls_again == 0 and again.stats["cached_items"] == n
    ideal = n * args.latency / args.concurrency
    extrapolated = per_doc_s * n / len(subset)
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared); Python "
        f"{platform.python_version()}; stub latency {args.latency * 1000:.0f} ms; {n:,} distinct judge calls.\n"
    )
    print("| run | calls | wall time | vs ideal |")
    print("|---|---:|---:|---:|")
    print(
        f"| concurrent ({args.concurrency} in flight), empty cache | {calls_first:,} | {concurrent_s:.1f} s | "
        f"{concurrent_s / ideal:.2f}x of {ideal:.1f} s |"
    )
    print(f"| cached rerun | {calls_again} | {cached_s:.2f} s | - |")
    print(
        f"| per doc, 4 threads, first {len(subset)} docs (measured) | {len(subset)} | {per_doc_s:.1f} s | "
        f"{per_doc_s / (len(subset) * args.latency / 4):.2f}x of {len(subset) * args.latency / 4:.1f} s |"
    )
    print(f"| per doc, 4 threads, all docs (extrapolated) | {n:,} | ~{extrapolated:.0f} s | "
          f"{extrapolated / concurrent_s:.1f}x the concurrent run |")  # fmt: skip


if __name__ == "__main__":
    main()
