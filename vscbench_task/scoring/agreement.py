"""How far two judges (or a judge and the humans) agree on the same items.

Kappa corrects the agreement for what two judges with the same label rates would reach by chance:
``(p_o - p_e) / (1 - p_e)`` with ``p_e = sum_c p_a(c) * p_b(c)`` over the labels (for verdicts,
``p_a * p_b + (1 - p_a) * (1 - p_b)``; for the judges' four classes, the four products). It is undefined
(NaN) when chance agreement is already perfect, i.e. both judges give one and the same label throughout.

Its interval (``binary_agreement``) is a percentile bootstrap that resamples whole clusters (a prompt
with every model's response to it), since responses to one prompt are not independent; each replicate's
kappa comes from its 2x2 table, so all replicates are one matrix product. Spearman's rank correlation
uses average ranks for ties.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from vscbench_task.scoring.bootstrap import percentile_interval, resample_weights
from vscbench_task.scoring.bootstrap_settings import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED

Label = TypeVar("Label", bound=Hashable)


def _paired(a: Mapping[str, Label], b: Mapping[str, Label]) -> list[tuple[Label, Label]]:
    if a.keys() != b.keys():
        raise ValueError(f"the two judges rated different items ({len(a.keys() ^ b.keys())} not shared)")
    return [(a[k], b[k]) for k in a]


def percent_agreement(a: Mapping[str, Label], b: Mapping[str, Label]) -> float:
    """Share of items (in percent) where both judges give the same verdict or class; NaN without items."""
    pairs = _paired(a, b)
    return 100.0 * sum(x == y for x, y in pairs) / len(pairs) if pairs else math.nan


def cohen_kappa(a: Mapping[str, Label], b: Mapping[str, Label]) -> float:
    """Cohen's kappa of two judges over the same items, for verdicts (booleans) or classes (any labels):
    chance agreement is ``sum_c p_a(c) * p_b(c)``; NaN when undefined."""
    pairs = _paired(a, b)
    if not pairs:
        return math.nan
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    of_a, of_b = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    chance = sum((of_a[label] / n) * (of_b[label] / n) for label in of_a)
    return math.nan if chance == 1 else (observed - chance) / (1 - chance)


def summary(a: Mapping[str, Hashable], b: Mapping[str, Hashable]) -> dict[str, Any]:
    """Items compared, percent agreement and kappa, as written to rescore results."""
    return {"items": len(a), "percent_agreement": percent_agreement(a, b), "cohen_kappa": cohen_kappa(a, b)}


# (reference, judge) -> column of a 2x2 table: both yes, judge only (a false flag), reference only (missed), neither.
_CELL = {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}


def _kappa_of_tables(tables: np.ndarray) -> np.ndarray:
    """Cohen's kappa of 2x2 tables given as rows of ``_CELL`` counts."""
    both, a_only, b_only, neither = tables.T
    n = both + a_only + b_only + neither
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (both + neither) / n
        yes_a, yes_b = (both + a_only) / n, (both + b_only) / n
        chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
        return np.where(chance < 1, (observed - chance) / (1 - chance), np.nan)


@dataclass(frozen=True)
class BinaryAgreement:
    """A judge's verdicts against reference (human) verdicts on the same items.

    ``false_flags``: the judge says recognised, the reference does not; ``missed``: the reverse. The four
    cells are item counts, or sums of the items' weights when the items are weighted (``weighted``).
    """

    n: int
    accuracy: float
    kappa: float
    kappa_low: float
    kappa_high: float
    both_recognised: float
    false_flags: float
    missed: float
    neither_recognised: float
    weighted: bool = False


def binary_agreement(
    reference: Sequence[bool],
    judge: Sequence[bool],
    clusters: Sequence[str],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    weights: Sequence[float] | None = None,
) -> BinaryAgreement:
    """Accuracy, kappa with its cluster-bootstrap interval, and the 2x2 confusion of ``judge`` against
    ``reference``; ``clusters`` names each item's cluster (the unit resampled).

    With ``weights`` (one sampling weight per item) every figure is weighted: the cells are sums of
    weights, accuracy and kappa are read off that table, and each replicate re-weights whole clusters'
    weighted tables, so the interval stays clustered.
    """
    if not len(reference) == len(judge) == len(clusters) == len(weights if weights is not None else clusters):
        raise ValueError("reference, judge, clusters and weights must have one entry per item")
    index = {cluster: i for i, cluster in enumerate(dict.fromkeys(clusters))}
    tables = np.zeros((len(index), 4))
    for i, (ref, verdict, cluster) in enumerate(zip(reference, judge, clusters, strict=True)):
        tables[index[cluster], _CELL[(bool(ref), bool(verdict))]] += 1 if weights is None else weights[i]
    cells = tables.sum(axis=0)
    both, false_flags, missed, neither = (int(x) for x in cells) if weights is None else (float(x) for x in cells)
    n = len(reference)
    total = float(cells.sum())
    kappa = float(_kappa_of_tables(tables.sum(axis=0, keepdims=True))[0]) if total else math.nan
    if total:
        replicates = _kappa_of_tables(resample_weights(("all",) * len(index), resamples, seed) @ tables)
        interval = percentile_interval(kappa, replicates, level)
    else:
        interval = percentile_interval(math.nan, np.array([]), level)
    return BinaryAgreement(
        n=n,
        accuracy=(both + neither) / total if total else math.nan,
        kappa=kappa,
        kappa_low=interval.low,
        kappa_high=interval.high,
        both_recognised=both,
        false_flags=false_flags,
        missed=missed,
        neither_recognised=neither,
        weighted=weights is not None,
    )


def category_kappa(table: Sequence[Sequence[float]]) -> float:
    """Cohen's kappa of a square confusion table (rows: one rater's category, columns: the other's, in the
    same order; counts or sums of weights): ``(p_o - p_e) / (1 - p_e)`` with ``p_e`` the chance agreement
    of the two margins. NaN when undefined (no items, or both raters use one and the same category)."""
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion table is square, got shape {counts.shape}")
    total = counts.sum()
    if not total:
        return math.nan
    observed = np.trace(counts) / total
    chance = float((counts.sum(axis=1) / total) @ (counts.sum(axis=0) / total))
    return math.nan if chance >= 1 else float((observed - chance) / (1 - chance))


def _average_ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN with fewer than two items or no spread."""
    if len(x) != len(y):
        raise ValueError("spearman needs two sequences of the same length")
    if len(x) < 2:
        return math.nan
    rx, ry = _average_ranks(x), _average_ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    sy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (sx * sy) if sx and sy else math.nan
