"""Benchmark ``vscbench prepare`` / ``verify`` on a full-size stand-in archive; writes docs/benchmarks/prepare.md.

Builds all 3,598 stand-in images at ``--size`` px in a temporary folder (deleted afterwards), then runs
prepare from the zip and from the extracted folder, and verify, each with 1 and 2 decode workers, in
child processes so every run's peak memory (``ru_maxrss``) is its own. Rounds alternate the settings and
the fastest time per setting is kept, so load from other processes on the shared machine hurts every
setting alike; the speed-up column is a ratio within this one run.

    /work/venv/bin/python -m benchmarks.bench_prepare
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from vscbench_task.dataset.prepare import DEFAULT_WORKERS
from vscbench_task.demo import standin_archive

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "prepare.md"
WORKERS = (1, 2)
BASELINE = "import only (baseline)"

# Runs in a fresh interpreter: times the call only (not the interpreter start) and reports peak RSS.
# Any other action ("import only") measures the interpreter with the modules loaded: the memory baseline.
CHILD = """
import json, resource, sys, time
from vscbench_task.dataset.prepare import prepare, verify
action, source, data_dir, workers = sys.argv[1:]
start = time.perf_counter()
if action == "prepare":
    prepare(source, data_dir, workers=int(workers))
elif action == "verify":
    problems = verify(data_dir, workers=int(workers))
    if problems:
        sys.exit("verify found problems: " + "; ".join(problems[:5]))
print(json.dumps({"seconds": time.perf_counter() - start,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(action: str, source: Path, data_dir: Path, workers: int) -> dict[str, float]:
    """One measured run in a child process; fails loudly with the child's stderr."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, action, str(source), str(data_dir), str(workers)],
        capture_output=True,
        text=True,
        env={**os.environ, "TQDM_DISABLE": "1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"{action} with {workers} worker(s) failed:\n{done.stderr}")
    return json.loads(done.stdout)


def measure(zip_path: Path, folder: Path, work: Path, rounds: int) -> dict[tuple[str, int], dict[str, float]]:
    """Best time and highest peak RSS per (setting, workers) over alternating rounds."""
    runs = {"prepare from zip": ("prepare", zip_path), "prepare from folder": ("prepare", folder), "verify": None}
    best: dict[tuple[str, int], dict[str, float]] = {}
    verified = work / "verified"
    run_child("prepare", zip_path, verified, 2)  # the data dir verify re-checks
    for round_no in range(rounds):
        for (label, run), workers in itertools.product(runs.items(), WORKERS):
            if run is None:
                result = run_child("verify", zip_path, verified, workers)
            else:
                result = run_child(*run, work / "fresh", workers)
                shutil.rmtree(work / "fresh")
            print(f"round {round_no + 1}: {label}, {workers} worker(s): {result['seconds']:.2f} s", flush=True)
            old = best.get((label, workers))
            best[(label, workers)] = {
                "seconds": min(result["seconds"], old["seconds"]) if old else result["seconds"],
                "max_rss_mb": max(result["max_rss_mb"], old["max_rss_mb"]) if old else result["max_rss_mb"],
            }
    best[(BASELINE, 1)] = run_child("import only", zip_path, work / "unused", 1)
    return best


def markdown(results: dict[tuple[str, int], dict[str, float]], size: int, archive_mb: float, rounds: int) -> str:
    def prepare_seconds(workers: int) -> float:
        return sum(results[(f"prepare from {kind}", workers)]["seconds"] for kind in ("zip", "folder"))

    ratio = prepare_seconds(1) / prepare_seconds(2)
    faster = 2 if ratio > 1 else 1
    verdict = f"{faster} worker(s) prepared {max(ratio, 1 / ratio):.2f}x faster (zip and folder together)" + (
        "." if faster == DEFAULT_WORKERS else f"; change DEFAULT_WORKERS to {faster}."
    )
    rows = []
    for (label, workers), result in results.items():
        one = results.get((label, 1), result)["seconds"]
        seconds, speedup = (
            (f"{result['seconds']:.2f}", f"{one / result['seconds']:.2f}x") if label != BASELINE else ("", "")
        )
        rows.append(f"| {label} | {workers} | {seconds} | {speedup} | {result['max_rss_mb']:.0f} |")
    return "\n".join(
        [
            "# `vscbench prepare` / `verify` benchmark",
            "",
            f"Full-size stand-in archive: all 3,598 referenced files, {size}x{size} px synthetic images,"
            f" {archive_mb:.0f} MB (zip, stored). Date {date.today().isoformat()}; machine: {os.cpu_count()} cores"
            f" (shared with other jobs), {platform.system()} {platform.machine()}, Python {platform.python_version()}.",
            "The synthetic pictures compress far better than photos, so this archive is smaller than the real one:"
            " decoding cost follows the pixel count (realistic here), hashing and copying follow the bytes (lower).",
            "",
            "Command (from the repository root):",
            "",
            f"    /work/venv/bin/python -m benchmarks.bench_prepare --size {size} --rounds {rounds}",
            "",
            f"Each setting ran in its own child process, {rounds} alternating rounds; time is the fastest round"
            " (the call only, without interpreter start), peak RSS the highest (`ru_maxrss` of the child, which"
            " includes the interpreter and Pillow).",
            "",
            "| run | decode workers | wall time (s) | speed-up vs 1 worker | peak RSS (MB) |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"`vscbench_task.prepare.DEFAULT_WORKERS` is {DEFAULT_WORKERS}: {verdict}",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=768, help="stand-in image side in pixels")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per setting")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        work = Path(tmp)
        zip_path = standin_archive.build(work / "standin.zip", size=args.size)
        folder = work / "extracted"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(folder)
        results = measure(zip_path, folder, work, args.rounds)
        archive_mb = zip_path.stat().st_size / 1e6
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(markdown(results, args.size, archive_mb, args.rounds))
    print(OUTPUT.read_text())


if __name__ == "__main__":
    main()
