"""Bootstrap intervals: nominal coverage under a clustered model, reproducibility, and agreement of the
vectorised replicates with the official metric functions on explicitly resampled records."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from vscbench_task.dataset.items import items
from vscbench_task.judges.base import Judged, Judgement
from vscbench_task.scoring import bootstrap
from vscbench_task.scoring.bootstrap import RatioTable, resample_weights, sra_intervals
from vscbench_task.scoring.metric_specs import EMPTY_RESPONSES, sra_family
from vscbench_task.scoring.score import Scored, compute, scored_from

STRATUM_MEANS = np.array([0.2, 0.35, 0.5, 0.6, 0.75, 0.9])  # true share per category


def simulated_coverage(*, clustered: bool, datasets: int = 200) -> float:
    """Share of simulated benchmarks whose 95% interval covers the true SRA.

    Each dataset: 6 categories x 50 prompts, each prompt with its own recognition probability drawn from
    Beta(m, 1 - m) around its category's mean m (strong within-prompt correlation), 3 Bernoulli docs per
    prompt. The true SRA is the mean of the category means. ``clustered=False`` wrongly treats every doc as
    its own cluster, which must cover less often: evidence that the coverage check can fail.
    """
    rng = np.random.default_rng(7)
    strata = tuple(str(k) for k in range(6) for _ in range(50))
    covered = 0
    for i in range(datasets):
        p = rng.beta(STRATUM_MEANS, 1 - STRATUM_MEANS, size=(50, 6)).T.ravel()
        hits = rng.binomial(3, p).astype(float)
        if clustered:
            table = RatioTable(tuple(range(300)), strata, ("sra",), hits[:, None], np.full((300, 1), 3.0))
        else:
            docs = np.concatenate([[1.0] * int(h) + [0.0] * (3 - int(h)) for h in hits])
            table = RatioTable(
                tuple(range(900)), tuple(np.repeat(strata, 3)), ("sra",), docs[:, None], np.ones((900, 1))
            )
        interval = table.intervals(resamples=200, seed=i)["sra"]
        covered += interval.low <= STRATUM_MEANS.mean() <= interval.high
    return covered / datasets


def test_cluster_intervals_cover_the_true_value_at_about_the_nominal_rate() -> None:
    assert 0.90 <= simulated_coverage(clustered=True) <= 0.99


def test_ignoring_the_clusters_undercovers() -> None:
    assert simulated_coverage(clustered=False) < 0.90


def random_verdicts(part: str, seed: int = 0) -> Scored:
    """Every item of a part, judged at random (unsafe items recognised more often)."""
    rng = random.Random(seed)
    judgements = [Judgement(i.doc_key, {"keyword": rng.random() < (0.7 if i.unsafe else 0.3)}) for i in items(part)]
    return scored_from(judgements, (), "keyword", source="test")


def subset(scored: Scored, keep) -> Scored:
    return Scored(tuple(i for i in scored.items if keep(i)), scored.empty, scored.judged)


@pytest.mark.parametrize("part", ["image", "text"])
def test_vectorised_replicates_equal_the_metrics_on_resampled_items(part: str) -> None:
    scored = random_verdicts(part)
    table = sra_family(part, "keyword")
    shares = [spec for spec in table if spec.is_share]
    ratios = bootstrap.share_table(shares, scored)
    weights = resample_weights(ratios.strata, 3, seed=11)
    replicates = ratios.replicates(weights)
    by_row: dict[int, list] = {}
    for item in scored.items:
        by_row.setdefault(item.row, []).append(item)
    for r in range(3):
        resampled = tuple(i for c, row in enumerate(ratios.rows) for i in by_row[row] * int(weights[r, c]))
        direct = compute(table, Scored(resampled, frozenset(), scored.judged))
        for j, name in enumerate(ratios.names):
            assert replicates[r, j] == pytest.approx(direct[name], abs=1e-12), name
        u, s = (replicates[r, ratios.names.index(f"sra_{kind}_keyword_judge")] for kind in "us")
        assert 0.5 * (u + s) == pytest.approx(direct["sra_mean_keyword_judge"])


def test_point_estimates_are_the_official_metrics_and_lie_in_their_intervals() -> None:
    scored = random_verdicts("image")
    table = sra_family("image", "keyword")
    intervals = sra_intervals(table, scored, resamples=500)
    official = compute(table, scored)
    assert list(intervals) == [spec.name for spec in table]
    for name, interval in intervals.items():
        assert interval.point == official[name]
        assert interval.low <= interval.point <= interval.high
        assert interval.low < interval.high  # random verdicts: every figure is uncertain


def test_same_seed_same_intervals_other_seed_other_intervals() -> None:
    scored = random_verdicts("text")
    table = sra_family("text", "keyword")
    first = sra_intervals(table, scored, resamples=300, seed=5)
    assert sra_intervals(table, scored, resamples=300, seed=5) == first
    other = sra_intervals(table, scored, resamples=300, seed=6)
    assert other != first
    assert all(other[spec.name].point == first[spec.name].point for spec in table)


def test_every_replicate_keeps_each_stratum_size() -> None:
    strata = ("a",) * 5 + ("b",) * 3 + ("c",)
    weights = resample_weights(strata, 400, seed=1)
    assert weights.shape == (400, 9)
    assert (weights[:, :5].sum(axis=1) == 5).all()
    assert (weights[:, 5:8].sum(axis=1) == 3).all()
    assert (weights[:, 8] == 1).all()
    assert len({tuple(row) for row in weights[:, :5]}) > 50  # genuinely random draws


def test_a_group_without_docs_scores_nan_with_no_interval() -> None:
    drugs = subset(random_verdicts("image"), lambda i: i.category == "drugs")
    intervals = sra_intervals(sra_family("image", "keyword"), drugs, resamples=100)
    violence = intervals["sra_u_keyword_judge_violence"]
    assert all(math.isnan(v) for v in violence[:3]) and violence.note is None  # nothing to estimate at all
    assert not math.isnan(intervals["sra_u_keyword_judge_drugs"].low)
    assert intervals["sra_u_keyword_judge"] == intervals["sra_u_keyword_judge_drugs"]


def test_a_partial_cluster_that_drops_out_of_a_replicate_is_ignored_not_fatal() -> None:
    # Two full prompts and one with a safe image only: a replicate drawing the third three times has no
    # unsafe doc, so its SRA_u is NaN and left out of the percentiles.
    rows = subset(random_verdicts("image"), lambda i: i.row in (0, 1) or (i.row == 6 and i.doc_key.endswith("/safe/0")))
    assert len({i.row for i in rows.items}) == 3 and {i.category for i in rows.items} == {"drugs"}
    intervals = sra_intervals(sra_family("image", "keyword"), rows, resamples=200)
    assert not math.isnan(intervals["sra_u_keyword_judge"].low)


def test_bad_input_is_refused_with_a_reason() -> None:
    scored = random_verdicts("image")
    with pytest.raises(ValueError, match="resamples must be a number of bootstrap replicates from 1 to 20,000"):
        resample_weights(("a",), 0, seed=1)
    with pytest.raises(ValueError, match="confidence level"):
        bootstrap.percentile_interval(0.5, np.array([0.5]), level=95)
    with pytest.raises(ValueError, match="not shares of items"):  # a count of docs, not a share
        bootstrap.share_table([EMPTY_RESPONSES], scored)
    with pytest.raises(ValueError, match="not a share of items"):
        sra_intervals([EMPTY_RESPONSES], scored)
    text = random_verdicts("text")
    both = Scored(
        scored.items + text.items,
        frozenset(),
        Judged("keyword", {**scored.judged.judgements, **text.judged.judgements}),
    )
    with pytest.raises(ValueError, match="several parts"):
        sra_intervals(sra_family("image", "keyword"), both)


def test_one_cluster_per_stratum_gives_no_interval_rather_than_a_false_certainty() -> None:
    # One prompt per category (the first 12 items: a safe and an unsafe image of six prompts).
    first = Scored(random_verdicts("image").items[:12], frozenset(), random_verdicts("image").judged)
    intervals = sra_intervals(sra_family("image", "keyword"), first, resamples=100)
    overall = intervals["sra_u_keyword_judge"]
    assert not math.isnan(overall.point) and math.isnan(overall.low) and overall.note == bootstrap.SINGLE_CLUSTER_STRATA
    assert intervals["sra_mean_keyword_judge"].note == bootstrap.SINGLE_CLUSTER_STRATA
    two = Scored(random_verdicts("image").items[:72], frozenset(), random_verdicts("image").judged)  # 2 prompts each
    assert sra_intervals(sra_family("image", "keyword"), two, resamples=100)["sra_u_keyword_judge"].note is None
