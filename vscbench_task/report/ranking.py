"""The leaderboards: per part and overall, each model's rank and its bootstrap rank interval.

*Boards.* One set of boards (overall, image-centric, text-centric) per benchmark split the runs cover
(``calibration.split``): runs of the whole benchmark, and apart from them the runs of each other split,
which answered other docs and are never ranked with them.

*Ranking key.* A part's leaderboard ranks by the part's ``sra_mean`` (½ (SRA_u + SRA_s)); the overall
leaderboard by the figure lmms-eval reports for the ``vscbench`` group (``vscbench_judge`` for the LLM
judge): the plain mean of the two parts' ``sra_mean``, so a model needs both parts to have one. Ties and
models without a figure are ordered by name, the models without a figure last (rank ``None``).

*Rank interval.* Every bootstrap replicate of the ranking key (``PartResult.replicates``; the overall
key's replicate is the mean of the parts' replicates, the parts being drawn independently) ranks the
models anew: a model's rank in a replicate is 1 + the number of models whose replicate is strictly
higher (ties share the better rank). The interval is the ``(1 - level) / 2`` and ``(1 + level) / 2``
quantiles of those ranks, taken as observed ranks (the inverted CDF), so it is two whole numbers. Runs
with the same rows share the same draws (``scoring.bootstrap``), so their replicates are paired and the
interval shows how often the data could order them the other way. A replicate in which a model's key is
not computable (partial runs only) is left out of that model's interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vscbench_task.calibration.split import FULL
from vscbench_task.dataset.items import PARTS
from vscbench_task.report.tables import ModelResult, Report
from vscbench_task.scoring.bootstrap import Interval, percentile_interval
from vscbench_task.scoring.metric_specs import sra_name

OVERALL = "overall"
BOARDS = (OVERALL, *PARTS)  # the overall leaderboard first: the figure a leaderboard publishes
_CHUNK = 64  # models compared at once when ranking replicates: bounds memory at resamples x 64 x models


@dataclass(frozen=True)
class Standing:
    """One model's line on one leaderboard: ``model`` indexes ``Report.models``."""

    model: int
    key: Interval  # the ranking key with its interval
    rank: int | None  # None: no figure to rank by
    rank_low: int | None
    rank_high: int | None


def key_of(model: ModelResult, board: str, judge: str, level: float) -> tuple[Interval, np.ndarray | None] | None:
    """The ranking key of ``model`` on ``board`` and its replicates; ``None`` if the model has no such
    figure (the part is absent, or the overall board and the model lacks a part)."""
    mean = sra_name("mean", judge)
    if board != OVERALL:
        part = model.parts.get(board)
        return None if part is None else (part.sra[mean], part.replicates)
    if any(p not in model.parts for p in PARTS):
        return None
    image, text = (model.parts[p] for p in PARTS)
    point = 0.5 * (image.sra[mean].point + text.sra[mean].point)
    if image.replicates is None or text.replicates is None:
        return Interval(point, math.nan, math.nan), None
    replicates = 0.5 * (image.replicates + text.replicates)
    return percentile_interval(point, replicates, level), replicates


def _ranks(replicates: np.ndarray) -> np.ndarray:
    """Rank of every model (columns) in every replicate (rows): 1 + the models strictly higher; NaN for
    a model whose replicate is NaN (NaN is never higher than anything)."""
    ranks = np.empty(replicates.shape)
    for start in range(0, replicates.shape[1], _CHUNK):
        block = replicates[:, start : start + _CHUNK]
        higher = (replicates[:, None, :] > block[:, :, None]).sum(axis=2)
        ranks[:, start : start + _CHUNK] = np.where(np.isnan(block), np.nan, 1 + higher)
    return ranks


def _rank_bounds(ranks: np.ndarray, level: float) -> tuple[int, int] | tuple[None, None]:
    finite = ranks[np.isfinite(ranks)]
    if finite.size == 0:
        return None, None
    low, high = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return int(low), int(high)


def splits(report: Report) -> list[str]:
    """The benchmark splits the report's runs cover, the whole benchmark first."""
    found = {m.split for m in report.models}
    return [FULL] * (FULL in found) + sorted(found - {FULL})


def leaderboard(report: Report, board: str, split: str = FULL) -> list[Standing]:
    """The standings on ``board`` (``overall``, ``image`` or ``text``) among the runs of ``split``, best
    first (runs of other splits answered other docs: they are never ranked together); models without the
    board's figure are left out (the overall board keeps only models with both parts)."""
    keyed = [
        (i, k)
        for i, m in enumerate(report.models)
        if m.split == split and (k := key_of(m, board, report.judge, report.level)) is not None
    ]

    def order(entry: tuple[int, tuple[Interval, np.ndarray | None]]) -> tuple[bool, float, str]:
        value = entry[1][0].point
        return (math.isnan(value), 0.0 if math.isnan(value) else -value, report.models[entry[0]].name)

    keyed.sort(key=order)
    ranked = [(i, k) for i, k in keyed if not math.isnan(k[0].point)]
    with_replicates = [(i, k[1]) for i, k in ranked if k[1] is not None]
    bounds: dict[int, tuple[int, int] | tuple[None, None]] = {}
    if with_replicates:
        ranks = _ranks(np.column_stack([r for _, r in with_replicates]))
        for column, (i, _) in enumerate(with_replicates):
            bounds[i] = _rank_bounds(ranks[:, column], report.level)
    standings = []
    for position, (i, (key, _)) in enumerate(keyed, 1):
        has_rank = not math.isnan(key.point)
        low, high = bounds.get(i, (None, None))
        standings.append(Standing(i, key, position if has_rank else None, low, high))
    return standings


def model_numbers(report: Report) -> list[int]:
    """Each model's number in the figures (``Report.models`` order): its place in leaderboard order, i.e.
    runs of the whole benchmark first, then those of each other split; within them by the overall
    figure, then (for models without one) by the image-centric and the text-centric mean, then by name.
    With every run of the whole benchmark on both parts this is the overall rank."""
    split_order = {split: k for k, split in enumerate(splits(report))}

    def order(i: int) -> tuple[object, ...]:
        key: list[object] = [split_order[report.models[i].split]]
        for board in BOARDS:
            found = key_of(report.models[i], board, report.judge, report.level)
            value = math.nan if found is None else found[0].point
            key += [math.isnan(value), 0.0 if math.isnan(value) else -value]
        return (*key, report.models[i].name)

    numbers = [0] * len(report.models)
    for number, i in enumerate(sorted(range(len(report.models)), key=order), 1):
        numbers[i] = number
    return numbers


def in_order(report: Report, part: str | None = None) -> list[tuple[int, int]]:
    """(number, model index) of the models that have ``part`` (every model for ``None``), in leaderboard
    order: the order of every table and figure that lists models."""
    numbers = model_numbers(report)
    chosen = (i for i, m in enumerate(report.models) if part is None or part in m.parts)
    return sorted((numbers[i], i) for i in chosen)
