"""The leaderboards: order, the overall figure (the vscbench group's plain mean of the parts' means), and
rank intervals equal to ranking every bootstrap replicate by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vscbench_task.report import ranking
from vscbench_task.report.tables import ModelResult, PartResult, Report
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.metric_specs import sra_name

MEAN = sra_name("mean", "keyword")


def part(name: str, replicates: np.ndarray) -> PartResult:
    point = float(np.median(replicates))
    return PartResult(
        part=name, task=f"vscbench_{name}", docs=10, rows=5, group_docs={}, sra={MEAN: Interval(point, 0.0, 1.0)},
        paired={}, paired_groups={}, complete_groups=5, replicates=replicates,
    )  # fmt: skip


def report_of(parts: list[dict[str, np.ndarray]], names: list[str] | None = None) -> Report:
    models = [
        ModelResult(names[i] if names else f"m{i}", "src", {p: part(p, r) for p, r in found.items()})
        for i, found in enumerate(parts)
    ]
    return Report("keyword", 1, 400, 0.95, models)


def by_hand(replicates: np.ndarray, level: float = 0.95) -> list[tuple[int, int]]:
    """Per model (column): rank it in each replicate (1 + models strictly higher), then the smallest ranks
    whose share of replicates reaches (1 - level) / 2 and (1 + level) / 2."""
    count, models = replicates.shape
    ranks = [
        [1 + sum(replicates[b, j] > replicates[b, i] for j in range(models)) for b in range(count)]
        for i in range(models)
    ]
    out = []
    for own in ranks:

        def quantile(q: float, own: list[int] = own) -> int:
            return next(r for r in sorted(set(own)) if sum(x <= r for x in own) / len(own) >= q)

        out.append((quantile((1 - level) / 2), quantile((1 + level) / 2)))
    return out


def test_rank_intervals_equal_ranking_every_replicate_by_hand_ties_included() -> None:
    rng = np.random.default_rng(3)
    # Rounded to two decimals so replicates tie often; model 4 is a copy of model 3.
    image = np.round(rng.normal([0.6, 0.62, 0.5, 0.55, 0.55], 0.03, size=(400, 5)), 2)
    image[:, 4] = image[:, 3]
    report = report_of([{"image": image[:, i]} for i in range(5)])
    standings = ranking.leaderboard(report, "image")
    expected = by_hand(image)
    assert [(s.rank_low, s.rank_high) for s in sorted(standings, key=lambda s: s.model)] == expected
    assert expected[3] == expected[4]  # identical runs share their interval
    assert [s.rank for s in standings] == [1, 2, 3, 4, 5]


def test_the_overall_board_is_the_mean_of_the_parts_means_for_models_with_both_parts() -> None:
    rng = np.random.default_rng(1)
    replicates = [rng.uniform(0.4, 0.8, size=400) for _ in range(5)]
    report = report_of(
        [
            {"image": replicates[0], "text": replicates[1]},
            {"image": replicates[2], "text": replicates[3]},
            {"image": replicates[4]},  # one part only: on the image board, not on the overall one
        ]
    )
    overall = ranking.leaderboard(report, "overall")
    assert sorted(s.model for s in overall) == [0, 1]
    for standing in overall:
        parts = report.models[standing.model].parts
        assert standing.key.point == pytest.approx(
            0.5 * (parts["image"].sra[MEAN].point + parts["text"].sra[MEAN].point)
        )
        both = 0.5 * (parts["image"].replicates + parts["text"].replicates)
        assert (standing.key.low, standing.key.high) == pytest.approx(tuple(np.percentile(both, [2.5, 97.5])))
    assert len(ranking.leaderboard(report, "image")) == 3
    assert [s.model for s in ranking.leaderboard(report, "text")] == sorted(
        [0, 1], key=lambda i: -report.models[i].parts["text"].sra[MEAN].point
    )


def test_models_are_numbered_by_the_overall_figure_then_by_a_part_then_by_name() -> None:
    def flat(value: float) -> np.ndarray:
        return np.full(400, value)

    report = report_of(
        [
            {"image": flat(0.5), "text": flat(0.5)},  # overall 0.5
            {"image": flat(0.9)},  # no overall figure, the best image mean
            {"image": flat(0.7), "text": flat(0.7)},  # overall 0.7
            {"text": flat(0.8)},  # text only
            {"image": flat(0.5), "text": flat(0.5)},  # ties model 0 on every figure: by name
        ],
        names=["b", "c", "d", "e", "a"],
    )
    assert ranking.model_numbers(report) == [3, 4, 1, 5, 2]


def test_a_model_whose_figure_cannot_be_computed_is_listed_last_without_a_rank() -> None:
    report = report_of([{"image": np.full(400, 0.5)}, {"image": np.full(400, math.nan)}])
    report.models[1].parts["image"].sra[MEAN] = Interval(math.nan, math.nan, math.nan)
    standings = ranking.leaderboard(report, "image")
    assert [(s.model, s.rank, s.rank_low) for s in standings] == [(0, 1, 1), (1, None, None)]


def test_runs_of_another_split_are_ranked_on_boards_of_their_own_and_numbered_after() -> None:
    def flat(value: float) -> np.ndarray:
        return np.full(400, value)

    report = report_of([{"image": flat(0.5)}, {"image": flat(0.9)}, {"image": flat(0.7)}])
    report.models[1].split = "evaluation"  # the best figure, but on other docs: not beside the full runs
    assert [s.model for s in ranking.leaderboard(report, "image")] == [2, 0]
    assert [(s.model, s.rank) for s in ranking.leaderboard(report, "image", "evaluation")] == [(1, 1)]
    assert ranking.splits(report) == ["full", "evaluation"]
    assert ranking.model_numbers(report) == [2, 3, 1]
