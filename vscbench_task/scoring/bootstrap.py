"""95% bootstrap intervals for VSCBench figures, resampling the benchmark's own units.

*Clusters.* The six images of an image-centric prompt share its text, and the five variants of a
text-centric row share its query, so their verdicts are correlated. Resampling single docs would pretend
the 1,800 image pairs are independent and give intervals that are too narrow; we resample whole official
rows (``Item.row``) instead.

*Strata.* The benchmark fixes how many rows each image category (50) and XSTest type (25) has, so a
replicate draws, within each category/type (``Item.category``), as many rows as it has, with
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

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from vscbench_task.dataset.items import Item
from vscbench_task.scoring.bootstrap_settings import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES
from vscbench_task.scoring.metric_specs import CountSpec, MeanSpec, MetricSpec, ShareSpec
from vscbench_task.scoring.score import Scored, compute, share_terms

# Why an interval has no bounds although the figure has a value.
SINGLE_CLUSTER_STRATA = (
    "no interval: each category / XSTest type holds one prompt or query only, so resampling within them "
    "cannot vary; run more docs (a zero-width interval would claim a certainty the data does not have)"
)


class Interval(NamedTuple):
    """A point estimate (the statistic on the full data) and its percentile bootstrap interval.

    ``note`` says why there are no bounds when the point has a value (``SINGLE_CLUSTER_STRATA``).
    """

    point: float
    low: float
    high: float
    note: str | None = None


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where nothing was counted (a subset with no docs scores NaN, as in ``metrics``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def resample_weights(strata: Sequence[str], resamples: int, seed: int) -> np.ndarray:
    """How often each cluster is drawn in each replicate: shape ``(resamples, len(strata))``, read-only.

    Within each stratum of ``n`` clusters a replicate draws ``n`` clusters uniformly with replacement,
    i.e. a multinomial count vector. Strata are visited in sorted order so the draws depend on the seed
    and the cluster list only. That is also why they are kept (the last four sets of draws): every full
    run of a part has the same clusters, so a report of many models draws once per part.
    """
    return _weights(tuple(strata), resamples, seed)


@functools.lru_cache(maxsize=4)
def _weights(strata: tuple[str, ...], resamples: int, seed: int) -> np.ndarray:
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(
            f"resamples must be a number of bootstrap replicates from 1 to {MAX_RESAMPLES:,}, got {resamples}"
        )
    rng = np.random.default_rng(seed)
    weights = np.zeros((resamples, len(strata)))
    for stratum in sorted(set(strata)):
        members = [i for i, s in enumerate(strata) if s == stratum]
        weights[:, members] = rng.multinomial(len(members), np.full(len(members), 1 / len(members)), size=resamples)
    weights.flags.writeable = False
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


def percentile_intervals(points: Sequence[float], replicates: np.ndarray, level: float) -> list[Interval]:
    """``percentile_interval`` of every column of ``replicates`` (one per point), in one pass over the
    columns whose replicates are all finite (what a complete run gives): a leaderboard's runs each
    have a few hundred statistics."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1 (e.g. 0.95), got {level}")
    finite = np.isfinite(replicates).all(axis=0) if len(replicates) else np.zeros(len(points), dtype=bool)
    tail = 50 * (1 - level)
    bounds = np.percentile(replicates[:, finite], [tail, 100 - tail], axis=0) if finite.any() else None
    out = []
    column = 0
    for j, point in enumerate(points):
        if finite[j] and not math.isnan(point) and bounds is not None:
            out.append(Interval(point, float(bounds[0, column]), float(bounds[1, column])))
        else:
            out.append(percentile_interval(point, replicates[:, j], level))
        column += bool(finite[j])
    return out


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

    def single_cluster_strata(self) -> np.ndarray:
        """Per statistic, whether every stratum holding data for it holds one cluster only: then every
        replicate (drawn within strata) equals the point and the interval says nothing."""
        names = sorted(set(self.strata))
        code = np.array([names.index(s) for s in self.strata], dtype=np.intp)
        clusters = np.zeros((len(names), len(self.names)))  # stratum x statistic: clusters with data
        np.add.at(clusters, code, self.den > 0)
        return (clusters.max(axis=0, initial=0) == 1) if len(names) else np.zeros(len(self.names), dtype=bool)

    def intervals(
        self, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL
    ) -> dict[str, Interval]:
        """Point estimate and percentile interval of every statistic."""
        replicates = self.replicates(resample_weights(self.strata, resamples, seed))
        points = self.points()
        intervals = percentile_intervals([points[name] for name in self.names], replicates, level)
        single = self.single_cluster_strata()
        return {
            name: unless_single(interval, bool(single[j]))
            for j, (name, interval) in enumerate(zip(self.names, intervals, strict=True))
        }


def unless_single(interval: Interval, single: bool) -> Interval:
    """``interval``, or no bounds with the reason when ``single`` (every stratum holding data for the
    statistic holds one cluster only, so resampling within strata cannot vary)."""
    if single and not math.isnan(interval.point):
        return Interval(interval.point, math.nan, math.nan, SINGLE_CLUSTER_STRATA)
    return interval


def clusters_of(items: Sequence[Item]) -> dict[int, str]:
    """Official row -> stratum (category / XSTest type) of the rows present in ``items``, sorted by row."""
    strata: dict[int, str] = {}
    for item in sorted(items, key=lambda i: i.row):
        if strata.setdefault(item.row, item.category) != item.category:
            raise ValueError(
                f"row {item.row} appears under two categories ({strata[item.row]!r} and {item.category!r}): "
                "items of the image and text parts must be scored separately"
            )
    return strata


def share_table(specs: Sequence[MetricSpec], scored: Scored[Item]) -> RatioTable:
    """Cluster sums of share metrics (``ShareSpec``) over the scored items' official rows."""
    shares = [spec for spec in specs if isinstance(spec, ShareSpec)]
    if len(shares) != len(specs):
        not_shares = [spec.name for spec in specs if not isinstance(spec, ShareSpec)]
        raise ValueError(f"metrics {not_shares} are not shares of items: they cannot be resampled")
    strata = clusters_of(scored.items)
    index = {row: i for i, row in enumerate(strata)}
    cluster = np.fromiter((index[item.row] for item in scored.items), dtype=np.intp, count=len(scored.items))
    item_num, item_den = share_terms(shares, scored)
    num: np.ndarray = np.zeros((len(strata), len(specs)))
    den: np.ndarray = np.zeros_like(num)
    weights = [scored.weight(item) for item in scored.items] if scored.weights is not None else None
    for j in range(len(specs)):  # item by item in order, as a plain loop adds them: the same sums to the bit
        column_num, column_den = (item_num[:, j], item_den[:, j]) if weights is None else (
            item_num[:, j] * weights, item_den[:, j] * weights
        )  # fmt: skip
        num[:, j] = np.bincount(cluster, weights=column_num, minlength=len(strata))
        den[:, j] = np.bincount(cluster, weights=column_den, minlength=len(strata))
    return RatioTable(tuple(strata), tuple(strata.values()), tuple(spec.name for spec in specs), num, den)


def _replicates(
    specs: Sequence[MetricSpec], scored: Scored[Item], resamples: int, seed: int
) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, bool]]:
    """Every SRA metric of ``specs`` on the full data and on each replicate (one set of draws for all of
    them), and whether resampling cannot vary it (``RatioTable.single_cluster_strata``)."""
    parts = {item.part for item in scored.items}
    if len(parts) > 1:
        raise ValueError(f"items of several parts ({', '.join(sorted(parts))}): compute intervals per part")
    shares: dict[str, MetricSpec] = {}
    for spec in specs:
        if isinstance(spec, CountSpec):
            raise ValueError(f"metric {spec.name!r} is not a share of items: it cannot be resampled")
        for share in spec.components if isinstance(spec, MeanSpec) else (spec,):
            shares[share.name] = share
    ratios = share_table(list(shares.values()), scored)
    columns = ratios.replicates(resample_weights(ratios.strata, resamples, seed))
    replicates = {name: columns[:, j] for j, name in enumerate(ratios.names)}
    single = dict(zip(ratios.names, ratios.single_cluster_strata().tolist(), strict=True))
    for spec in specs:
        if isinstance(spec, MeanSpec):
            u, s = spec.components
            replicates[spec.name] = 0.5 * (replicates[u.name] + replicates[s.name])
            single[spec.name] = single[u.name] or single[s.name]
    return compute(specs, scored), replicates, single


def sra_intervals(
    specs: Sequence[MetricSpec],
    scored: Scored[Item],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Interval]:
    """Point estimate (the metric on all items) and interval of every SRA metric in ``specs``.

    Shares are resampled as ratios of sums; an ``sra_mean``'s replicates are the mean of its two
    components' replicates (its definition). ``scored`` must hold one part, since rows are numbered per
    part.
    """
    return sra_bootstrap(specs, scored, resamples=resamples, seed=seed, level=level)[0]


def sra_bootstrap(
    specs: Sequence[MetricSpec],
    scored: Scored[Item],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> tuple[dict[str, Interval], dict[str, np.ndarray]]:
    """``sra_intervals``, and every metric's replicates (what a ranking of several runs resamples)."""
    points, replicates, single = _replicates(specs, scored, resamples, seed)
    matrix = np.column_stack([replicates[spec.name] for spec in specs])
    found = percentile_intervals([points[spec.name] for spec in specs], matrix, level)
    intervals = {
        spec.name: unless_single(interval, single[spec.name]) for spec, interval in zip(specs, found, strict=True)
    }
    return intervals, {spec.name: replicates[spec.name] for spec in specs}


def difference_intervals(
    pairs: Sequence[tuple[MetricSpec, MetricSpec]],
    scored: Scored[Item],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Interval]:
    """For each ``(a, b)`` pair of SRA metrics on the same items (two judges' readings of one run), the
    paired difference ``b - a`` and its interval, keyed by ``b``'s name. Both are computed on the same
    replicates (the same prompts drawn for both), so the interval is that of the difference itself, far
    narrower than the two intervals side by side when the judges mostly agree."""
    specs = list(dict.fromkeys(spec for pair in pairs for spec in pair))
    points, replicates, single = _replicates(specs, scored, resamples, seed)
    return {
        b.name: unless_single(
            percentile_interval(points[b.name] - points[a.name], replicates[b.name] - replicates[a.name], level),
            single[a.name] or single[b.name],
        )
        for a, b in pairs
    }
