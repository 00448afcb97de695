"""Benchmark ``vscbench validate-judge``: the keyword judge on both gold sets, and the LLM judge on all
5,957 gold rows against the loopback server at a fixed latency, as a ratio to calls x latency / concurrency;
then the cached rerun (no call).

    .venv/bin/python -m benchmarks.bench_validate --xstest-dir ../shared/data/gold/xstest
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from tests.support.stub_server import StubProcess
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.judges.llm.judge import LLMJudge
from vscbench_task.judges.llm.settings import from_env
from vscbench_task.validation.validate import load_gold_sets, validate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xstest-dir", type=Path, required=True)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_validate_"))
    start = time.perf_counter()
    gold = load_gold_sets(["msts", "xstest"], args.xstest_dir)
    validate(KeywordJudge(), gold, progress=False)
    keyword_s = time.perf_counter() - start
    rows = sum(len(g.items) for g in gold)
    calls = len({(item.query, item.response) for g in gold for item in g.items})
    env = {"OPENAI_API_URL": "", "VSCBENCH_JUDGE_CACHE": str(work / "c.sqlite3"), "VSCBENCH_JUDGE_PREFLIGHT": "0"}
    env["VSCBENCH_JUDGE_CONCURRENCY"] = str(args.concurrency)
    with StubProcess(work / "calls.jsonl", latency=args.latency) as stub:
        settings = from_env({**env, "OPENAI_API_URL": stub.url})
        start = time.perf_counter()
        first = validate(LLMJudge(settings), gold, progress=False)
        llm_s = time.perf_counter() - start
        start = time.perf_counter()
        again = validate(LLMJudge(settings), gold, progress=False)
        cached_s = time.perf_counter() - start
        logged = len(stub.calls())
    assert first["judge_stats"]["api_calls"] == calls == logged and again["judge_stats"]["api_calls"] == 0
    ideal = calls * args.latency / args.concurrency
    print(f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}\n")
    print("| run | rows | calls | wall time | vs ideal |\n|---|---:|---:|---:|---:|")
    print(f"| keyword judge, both gold sets (load, judge, every figure) | {rows:,} | 0 | {keyword_s:.2f} s | - |")
    print(
        f"| LLM judge, {args.concurrency} in flight, {args.latency * 1000:.0f} ms latency, empty cache | {rows:,} | "
        f"{calls:,} | {llm_s:.1f} s | {llm_s / ideal:.2f}x of {ideal:.1f} s |"
    )
    print(f"| LLM judge, cached rerun | {rows:,} | 0 | {cached_s:.2f} s | - |")


if __name__ == "__main__":
    main()
