"""How fast the vectorised bootstrap is, against resampling records and calling the official metrics.

Measured in one process on all 4,050 docs (both parts, random verdicts), 2,000 resamples:

* ``vectorised``: ``bootstrap.sra_intervals`` for both parts' SRA tables (cluster sums once, then one
  matrix product for all replicates), what ``vscbench report`` runs;
* ``naive``: per replicate, build the resampled record list and evaluate ``metrics.compute`` on it
  (the definition the vectorised replicates are tested against), timed on ``--naive`` replicates and
  scaled to the same number of resamples.

Prints a Markdown table with both times and their ratio. Usage::

    python -m benchmarks.bench_bootstrap [--resamples 2000] [--naive 40]
"""

from __future__ import annotations

import argparse
import platform
import random
import time

from vscbench_task.dataset.items import PARTS, items
from vscbench_task.judges.base import Judgement
from vscbench_task.scoring import bootstrap
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES
from vscbench_task.scoring.metric_specs import sra_family
from vscbench_task.scoring.score import Scored, compute, scored_from


def data(seed: int = 0) -> dict[str, Scored]:
    """Every item of each part, judged at random."""
    rng = random.Random(seed)
    return {
        part: scored_from(
            [Judgement(i.doc_key, {"keyword": rng.random() < 0.5}) for i in items(part)], (), "keyword", source="bench"
        )
        for part in PARTS
    }


def vectorised(parts: dict[str, Scored], resamples: int) -> float:
    start = time.perf_counter()
    for part, scored in parts.items():
        bootstrap.sra_intervals(sra_family(part, "keyword"), scored, resamples=resamples)
    return time.perf_counter() - start


def naive(parts: dict[str, Scored], replicates: int) -> float:
    start = time.perf_counter()
    for part, scored in parts.items():
        table = sra_family(part, "keyword")
        by_row: dict[int, list] = {}
        for item in scored.items:
            by_row.setdefault(item.row, []).append(item)
        strata = bootstrap.clusters_of(scored.items)
        weights = bootstrap.resample_weights(tuple(strata.values()), replicates, seed=1)
        for row_weights in weights:
            resampled = tuple(i for row, w in zip(strata, row_weights, strict=True) for i in by_row[row] * int(w))
            compute(table, Scored(resampled, frozenset(), scored.judged))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES)
    parser.add_argument("--naive", type=int, default=40, help="replicates actually run by the naive loop")
    args = parser.parse_args()
    parts = data()
    fast = vectorised(parts, args.resamples)
    slow = naive(parts, args.naive) * args.resamples / args.naive
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, 4,050 docs\n")
    print(f"| method | {args.resamples:,} resamples, both parts (s) |\n|---|---|")
    print(f"| vectorised (`sra_intervals`) | {fast:.2f} |")
    print(f"| naive (resampled items + `score.compute`, scaled from {args.naive}) | {slow:.1f} |")
    print(f"\nspeed-up: {slow / fast:.0f}x")


if __name__ == "__main__":
    main()
