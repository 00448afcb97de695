"""Benchmark the ``vscbench`` command's start-up against a bare Python start, as ratios in one run.

``vscbench tasks-dir`` sits inside every lmms-eval command line a user types
(``--include_path "$(vscbench tasks-dir)"``), so it must start about as fast as Python itself. Each
command runs ``--runs`` times, the commands interleaved so load from other processes hits them alike;
the median of each is reported with its ratio to ``python -c pass`` (target: at most 3x).

    .venv/bin/python -m benchmarks.bench_cli
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "vscbench tasks-dir": [str(BIN / "vscbench"), "tasks-dir"],
    "vscbench --help": [str(BIN / "vscbench"), "--help"],
    "vscbench report --help": [str(BIN / "vscbench"), "report", "--help"],
}


def once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the page cache
        once(command)
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            times[name].append(once(command))
    bare = statistics.median(times["python -c pass"])
    machine = f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}"
    print(f"{machine}, {args.runs} runs each\n")
    print("| command | median (ms) | min (ms) | ratio to bare Python |\n|---|---:|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median * 1000:.1f} | {min(values) * 1000:.1f} | {median / bare:.2f}x |")


if __name__ == "__main__":
    main()
