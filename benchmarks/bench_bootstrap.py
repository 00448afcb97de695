"""How fast the vectorised bootstrap is, against resampling records and calling the official metrics.

Measured in one process on all 4,050 docs (both parts, random verdicts), 2,000 resamples:

* ``vectorised``: ``bootstrap.sra_intervals`` for both parts' SRA tables (cluster sums once, then one
  matrix product for all replicates), what ``vscbench report`` runs;
* ``naive``: per replicate, build the resampled record list and evaluate ``metrics.compute`` on it
  (the definition the vectorised replicates are tested against), timed on ``--naive`` replicates and
  scaled to the same number of resamples.

Prints a Markdown table with both times and their ratio. Usage::

    python benchmarks/bench_bootstrap.py [--resamples 2000] [--naive 40]
"""

from __future__ import annotations

import argparse
import platform
import random
import time

from vscbench_task import bootstrap, metrics
from vscbench_task.docs import docs_for
from vscbench_task.records import make_record

PARTS = ("image", "text")


def data(seed: int = 0) -> dict[str, tuple[list[dict], dict[str, bool]]]:
    rng = random.Random(seed)
    out = {}
    for part in PARTS:
        records = [make_record(doc, "A", keep_response=False) for doc in docs_for(part)]
        out[part] = (records, {r["doc_key"]: rng.random() < 0.5 for r in records})
    return out


def vectorised(parts: dict, resamples: int) -> float:
    start = time.perf_counter()
    for part, (records, verdicts) in parts.items():
        bootstrap.sra_intervals(metrics.sra_metrics(part, "keyword"), records, verdicts, resamples=resamples)
    return time.perf_counter() - start


def naive(parts: dict, replicates: int) -> float:
    start = time.perf_counter()
    for part, (records, verdicts) in parts.items():
        table = metrics.sra_metrics(part, "keyword")
        by_row: dict[int, list[dict]] = {}
        for record in records:
            by_row.setdefault(record["row"], []).append(record)
        strata = bootstrap.clusters_of(records)
        weights = bootstrap.resample_weights(tuple(strata.values()), replicates, seed=1)
        for row_weights in weights:
            resampled = [r for row, w in zip(strata, row_weights, strict=True) for r in by_row[row] * int(w)]
            metrics.compute(table, resampled, verdicts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=bootstrap.DEFAULT_RESAMPLES)
    parser.add_argument("--naive", type=int, default=40, help="replicates actually run by the naive loop")
    args = parser.parse_args()
    parts = data()
    fast = vectorised(parts, args.resamples)
    slow = naive(parts, args.naive) * args.resamples / args.naive
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, 4,050 docs\n")
    print(f"| method | {args.resamples:,} resamples, both parts (s) |\n|---|---|")
    print(f"| vectorised (`sra_intervals`) | {fast:.2f} |")
    print(f"| naive (resampled records + `metrics.compute`, scaled from {args.naive}) | {slow:.1f} |")
    print(f"\nspeed-up: {slow / fast:.0f}x")


if __name__ == "__main__":
    main()
