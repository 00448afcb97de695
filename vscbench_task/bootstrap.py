"""95% bootstrap intervals for VSCBench figures, resampling the benchmark's own units.

*Clusters.* The six images of an image-centric prompt share its text, and the five variants of a
text-centric row share its query, so their verdicts are correlated. Resampling single docs would pretend
the 1,800 image pairs are independent and give intervals that are too narrow; we resample whole official
rows (``record["row"]``) instead.

*Strata.* The benchmark fixes how many rows each image category (50) and XSTest type (25) has, so a
replicate draws, within each category/type (``record["category"]``), as many rows as it has, with
replacement. No replicate loses a category, and per-category intervals equal those of a bootstrap run on
that category alone.

*Ratios.* Every statistic here is a ratio of sums over clusters, ``Σ_c num[c] / Σ_c den[c]``: a share
of docs is one (``num`` counts the docs meeting the criterion, ``den`` the docs it applies to), and so is
a mean over complete groups (``den`` = 1 per group). A replicate re-weights the clusters by how often it
drew them, so one matrix product evaluates every statistic on every replicate at once.

*Interval.* Percentile method: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles (linear
interpolation) of the finite replicates. The point estimate is the statistic on the full data, for SRA the
official metric itself. Intervals depend only on the data, the seed and the number of resamples, so the
same seed reproduces them exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from vscbench_task import metrics
from vscbench_task.records import Record

DEFAULT_SEED = 20250526
DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95


class Interval(NamedTuple):
    """A point estimate (the statistic on the full data) and its percentile bootstrap interval."""

    point: float
    low: float
    high: float


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where nothing was counted (a subset with no docs scores NaN, as in ``metrics``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def resample_weights(strata: Sequence[str], resamples: int, seed: int) -> np.ndarray:
    """How often each cluster is drawn in each replicate: shape ``(resamples, len(strata))``.

    Within each stratum of ``n`` clusters a replicate draws ``n`` clusters uniformly with replacement,
    i.e. a multinomial count vector. Strata are visited in sorted order so the draws depend on the seed
    and the cluster list only.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be a positive number of bootstrap replicates, got {resamples}")
    rng = np.random.default_rng(seed)
    weights = np.zeros((resamples, len(strata)))
    for stratum in sorted(set(strata)):
        members = [i for i, s in enumerate(strata) if s == stratum]
        weights[:, members] = rng.multinomial(len(members), np.full(len(members), 1 / len(members)), size=resamples)
    return weights


def percentile_interval(point: float, replicates: np.ndarray, level: float = DEFAULT_LEVEL) -> Interval:
    """The percentile interval of one statistic's replicates; NaN bounds if no replicate is finite.

    A replicate is NaN when it drew no doc the statistic applies to (possible only with partial data).
    """
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1 (e.g. 0.95), got {level}")
    finite = replicates[np.isfinite(replicates)]
    if math.isnan(point) or finite.size == 0:
        return Interval(point, math.nan, math.nan)
    tail = 50 * (1 - level)
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(point, float(low), float(high))


@dataclass(frozen=True)
class RatioTable:
    """Statistics that are ratios of sums over clusters (official rows): ``Σ num[:, j] / Σ den[:, j]``.

    ``rows`` are the clusters' official row indices, ``strata`` their category (image) or XSTest type
    (text); ``num`` and ``den`` have one row per cluster and one column per statistic in ``names``.
    """

    rows: tuple[int, ...]
    strata: tuple[str, ...]
    names: tuple[str, ...]
    num: np.ndarray
    den: np.ndarray

    def __post_init__(self) -> None:
        shape = (len(self.rows), len(self.names))
        if len(self.strata) != len(self.rows) or self.num.shape != shape or self.den.shape != shape:
            raise ValueError(f"ratio table shapes disagree: expected {shape} for num and den, one stratum per row")

    def points(self) -> dict[str, float]:
        """Each statistic on the full data."""
        return dict(zip(self.names, _ratio(self.num.sum(axis=0), self.den.sum(axis=0)).tolist(), strict=True))

    def replicates(self, weights: np.ndarray) -> np.ndarray:
        """Every statistic on every replicate: shape ``(len(weights), len(names))``."""
        return _ratio(weights @ self.num, weights @ self.den)

    def intervals(
        self, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL
    ) -> dict[str, Interval]:
        """Point estimate and percentile interval of every statistic."""
        replicates = self.replicates(resample_weights(self.strata, resamples, seed))
        points = self.points()
        return {name: percentile_interval(points[name], replicates[:, j], level) for j, name in enumerate(self.names)}


def clusters_of(records: Sequence[Record]) -> dict[int, str]:
    """Official row -> stratum of the rows present in ``records``, sorted by row."""
    strata: dict[int, str] = {}
    for record in sorted(records, key=lambda r: r["row"]):
        if strata.setdefault(record["row"], record["category"]) != record["category"]:
            raise ValueError(
                f"row {record['row']} appears under two categories ({strata[record['row']]!r} and "
                f"{record['category']!r}): records of the image and text parts must be scored separately"
            )
    return strata


def share_table(
    table: Mapping[str, metrics.MetricFn], records: Sequence[Record], verdicts: metrics.Verdicts
) -> RatioTable:
    """Cluster sums of share metrics (from ``vscbench_task.metrics``), evaluated doc by doc.

    A share metric on a single doc is NaN if the doc is outside its subset, else 1 or 0; its value on a
    set of docs is the sum of those over the docs that are not NaN. Building the table this way keeps the
    official metric functions the only definition of each metric; the result is checked against them.
    """
    strata = clusters_of(records)
    index = {row: i for i, row in enumerate(strata)}
    fns = list(table.values())
    num = np.zeros((len(strata), len(fns)))
    den = np.zeros_like(num)
    for record in records:
        for j, fn in enumerate(fns):
            value = fn([record], verdicts)
            if not math.isnan(value):
                num[index[record["row"]], j] += value
                den[index[record["row"]], j] += 1
    ratios = RatioTable(tuple(strata), tuple(strata.values()), tuple(table), num, den)
    official = metrics.compute(table, list(records), verdicts)
    for name, value in ratios.points().items():
        if not math.isclose(value, official[name], abs_tol=1e-12) and not (
            math.isnan(value) and math.isnan(official[name])
        ):
            raise ValueError(
                f"metric {name!r} is not a share of docs ({value} != {official[name]}): it cannot be resampled"
            )
    return ratios


def sra_intervals(
    table: Mapping[str, metrics.MetricFn],
    records: Sequence[Record],
    verdicts: metrics.Verdicts,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Interval]:
    """Point estimate (the official metric on all records) and interval of every metric of an SRA table.

    ``table`` is e.g. ``metrics.sra_metrics(part, judge)``: shares of docs, plus ``sra_mean`` whose
    replicates are the mean of the overall SRA_u and SRA_s replicates (its definition in ``metrics``).
    ``records`` must be of one part, since rows are numbered per part.
    """
    parts = {r["part"] for r in records}
    if len(parts) > 1:
        raise ValueError(f"records of several parts ({', '.join(sorted(parts))}): compute intervals per part")
    shares = {name: fn for name, fn in table.items() if fn is not metrics.sra_mean}
    ratios = share_table(shares, records, verdicts)
    columns = ratios.replicates(resample_weights(ratios.strata, resamples, seed))
    replicates = {name: columns[:, j] for j, name in enumerate(ratios.names)}
    for name, fn in table.items():
        if fn is metrics.sra_mean:
            replicates[name] = 0.5 * (
                replicates[_name_of(shares, metrics.sra_u)] + replicates[_name_of(shares, metrics.sra_s)]
            )
    points = metrics.compute(table, list(records), verdicts)
    return {name: percentile_interval(points[name], replicates[name], level) for name in table}


def _name_of(table: Mapping[str, metrics.MetricFn], fn: metrics.MetricFn) -> str:
    for name, candidate in table.items():
        if candidate is fn:
            return name
    raise ValueError(f"an SRA table with sra_mean must also hold the overall {fn.__name__}")
