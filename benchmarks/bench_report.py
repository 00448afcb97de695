"""Benchmark ``vscbench report`` at leaderboard scale: wall time and peak memory from 1 to 200 models.

Each point is one ``vscbench report --responses ... --html`` command in a fresh process (start-up,
imports, loading, judging, bootstrap, figures, every file written), on the synthetic models of
``tests.support.synthetic_runs`` (every doc of both parts, 4,050 per model), for:

* ``keyword``: the keyword judge, no per-run result cached (a first report);
* ``llm``: the LLM judge with every verdict already in its cache (filled beforehand from the loopback
  stub, which is stopped before the measurement, so a single call would fail the command), no per-run
  result cached;
* ``+1 model``: the keyword judge on N models after a report of the first N - 1 with the same result
  cache (what adding one model to a leaderboard costs);
* ``cached``: the keyword report rerun with every run's result cached.

CPU time is the command's own (user + system; the machine is shared, so wall time also holds other
people's work); peak memory is its maximum resident set size. The cache modes need ``report --cache-dir``;
on code without it (the baseline) they are left out.

    .venv/bin/python -m benchmarks.bench_report [--sizes 1,10,50,100,200] [--modes keyword,llm,+1,cached]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.judge_env import judge_env
from tests.support.stub_server import StubProcess
from tests.support.synthetic_runs import write_models

MODES = ("keyword", "llm", "+1", "cached")


def one(files: list[str], out: Path, extra: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time (s), CPU time (s) and peak RSS (MB) of one ``vscbench report`` command in a fresh process."""
    command = [sys.executable, "-m", "benchmarks.bench_report", "--child", json.dumps([files, str(out), extra])]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"report failed ({done.returncode}):\n{done.stderr[-3000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return measured["wall_s"], measured["cpu_s"], measured["peak_mb"]


def child(spec: str) -> None:
    """Run one report in this process and print its wall time, CPU time and peak RSS as JSON."""
    files, out, extra = json.loads(spec)
    start, cpu = time.perf_counter(), time.process_time()
    from vscbench_task import cli

    args = ["report", *(a for f in files for a in ("--responses", f)), "--out", out, "--html", *extra]
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            code = cli.main(args)
        finally:
            sys.stdout = stdout
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if code != 0:
        sys.exit(code)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_mb": peak_mb}))


def has_cache_option() -> bool:
    """Whether this code's ``report`` takes ``--cache-dir`` (the baseline did not)."""
    from vscbench_task.cli import report

    parser = argparse.ArgumentParser()
    report.add_arguments(parser)
    return not parser.parse_known_args(["--out", "x", "--cache-dir", "y"])[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50,100,200")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m for m in args.modes.split(",") if m in MODES]
    cache = has_cache_option()
    if not cache:
        modes = [m for m in modes if m not in ("+1", "cached")]
    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    try:
        files = [str(m.path) for m in write_models(work / "runs", max(sizes))]
        data_dir = work / "data"
        data_dir.mkdir()
        base_env = {"VSCBENCH_DATA_DIR": str(data_dir)}
        no_cache = ["--no-cache"] if cache else []
        llm_env: dict[str, str] = {}
        if "llm" in modes:
            with StubProcess(work / "calls.jsonl") as stub:
                llm_env = judge_env(stub, work / "judge.sqlite3")
                one(files, work / "warm", ["--judge", "llm", "--resamples", "100", *no_cache], {**base_env, **llm_env})
            # The stub is gone: a report that needed one call would fail.
        rows = []
        for n in sizes:
            chosen = files[:n]
            row = {"models": n}
            for mode in modes:
                out = work / f"out-{mode}-{n}"
                if mode == "keyword":
                    row[mode] = one(chosen, out, no_cache, base_env)
                elif mode == "llm":
                    row[mode] = one(chosen, out, ["--judge", "llm", *no_cache], {**base_env, **llm_env})
                else:
                    results = ["--cache-dir", str(work / f"cache-{mode}-{n}")]
                    one(chosen[:-1] if mode == "+1" and n > 1 else chosen, out, results, base_env)
                    if mode == "+1" and n == 1:
                        shutil.rmtree(work / f"cache-{mode}-{n}")
                    row[mode] = one(chosen, out, results, base_env)
                shutil.rmtree(out, ignore_errors=True)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    titles = {
        "keyword": "keyword judge",
        "llm": "LLM judge, verdicts cached",
        "+1": "keyword, +1 model to a cached report",
        "cached": "keyword, all runs cached",
    }
    print(f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}\n")
    print("| models | " + " | ".join(f"{titles[m]}: wall s / CPU s / peak MB" for m in modes) + " |")
    print("|---:|" + "---:|" * len(modes))
    for row in rows:
        cells = [f"{row[m][0]:.1f} / {row[m][1]:.1f} / {row[m][2]:.0f}" for m in modes]  # type: ignore[index]
        print(f"| {row['models']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
