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
    """How often each cluster is drawn in each replicate: shape ``(resamples, len(strata))``.

    Within each stratum of ``n`` clusters a replicate draws ``n`` clusters uniformly with replacement,
    i.e. a multinomial count vector. Strata are visited in sorted order so the draws depend on the seed
    and the cluster list only.
    """
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(
            f"resamples must be a number of bootstrap replicates from 1 to {MAX_RESAMPLES:,}, got {resamples}"
        )
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

    def single_cluster_strata(self, j: int) -> bool:
        """Whether every stratum holding data for statistic ``j`` holds one cluster only: then every
        replicate (drawn within strata) equals the point and the interval says nothing."""
        strata = [s for s, den in zip(self.strata, self.den[:, j], strict=True) if den > 0]
        return bool(strata) and len(strata) == len(set(strata))

    def intervals(
        self, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL
    ) -> dict[str, Interval]:
        """Point estimate and percentile interval of every statistic."""
        replicates = self.replicates(resample_weights(self.strata, resamples, seed))
        points = self.points()
        return {
            name: unless_single(
                percentile_interval(points[name], replicates[:, j], level), self.single_cluster_strata(j)
            )
            for j, name in enumerate(self.names)
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
    num: np.ndarray = np.zeros((len(strata), len(specs)))
    den: np.ndarray = np.zeros_like(num)
    for item in scored.items:
        judgement = scored.judgement(item)
        for j, spec in enumerate(shares):
            n, d = share_terms(spec, item, judgement)
            num[index[item.row], j] += scored.weight(item) * n
            den[index[item.row], j] += scored.weight(item) * d
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
    single = {name: ratios.single_cluster_strata(j) for j, name in enumerate(ratios.names)}
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
    points, replicates, single = _replicates(specs, scored, resamples, seed)
    return {
        spec.name: unless_single(
            percentile_interval(points[spec.name], replicates[spec.name], level), single[spec.name]
        )
        for spec in specs
    }


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
