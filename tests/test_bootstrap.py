"""Bootstrap intervals: nominal coverage under a clustered model, reproducibility, and agreement of the
vectorised replicates with the official metric functions on explicitly resampled records."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from vscbench_task import bootstrap, metrics
from vscbench_task.bootstrap import RatioTable, resample_weights, sra_intervals
from vscbench_task.docs import docs_for
from vscbench_task.records import make_record

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


def records_with_random_verdicts(part: str, seed: int = 0) -> tuple[list[dict], dict[str, bool]]:
    rng = random.Random(seed)
    records = [make_record(doc, "A", keep_response=False) for doc in docs_for(part)]
    verdicts = {r["doc_key"]: rng.random() < (0.7 if r["unsafe"] else 0.3) for r in records}
    return records, verdicts


@pytest.mark.parametrize("part", ["image", "text"])
def test_vectorised_replicates_equal_the_official_metrics_on_resampled_records(part: str) -> None:
    records, verdicts = records_with_random_verdicts(part)
    table = metrics.sra_metrics(part, "keyword")
    shares = {name: fn for name, fn in table.items() if fn is not metrics.sra_mean}
    ratios = bootstrap.share_table(shares, records, verdicts)
    weights = resample_weights(ratios.strata, 3, seed=11)
    replicates = ratios.replicates(weights)
    by_row = {}
    for record in records:
        by_row.setdefault(record["row"], []).append(record)
    for r in range(3):
        resampled = [rec for c, row in enumerate(ratios.rows) for rec in by_row[row] * int(weights[r, c])]
        official = metrics.compute(table, resampled, verdicts)
        for j, name in enumerate(ratios.names):
            assert replicates[r, j] == pytest.approx(official[name], abs=1e-12), name
        u, s = (replicates[r, ratios.names.index(f"sra_{kind}_keyword_judge")] for kind in "us")
        assert 0.5 * (u + s) == pytest.approx(official["sra_mean_keyword_judge"])


def test_point_estimates_are_the_official_metrics_and_lie_in_their_intervals() -> None:
    records, verdicts = records_with_random_verdicts("image")
    table = metrics.sra_metrics("image", "keyword")
    intervals = sra_intervals(table, records, verdicts, resamples=500)
    official = metrics.compute(table, records, verdicts)
    assert list(intervals) == list(table)
    for name, interval in intervals.items():
        assert interval.point == official[name]
        assert interval.low <= interval.point <= interval.high
        assert interval.low < interval.high  # random verdicts: every figure is uncertain


def test_same_seed_same_intervals_other_seed_other_intervals() -> None:
    records, verdicts = records_with_random_verdicts("text")
    table = metrics.sra_metrics("text", "keyword")
    first = sra_intervals(table, records, verdicts, resamples=300, seed=5)
    assert sra_intervals(table, records, verdicts, resamples=300, seed=5) == first
    other = sra_intervals(table, records, verdicts, resamples=300, seed=6)
    assert other != first
    assert all(other[name].point == first[name].point for name in table)


def test_every_replicate_keeps_each_stratum_size() -> None:
    strata = ("a",) * 5 + ("b",) * 3 + ("c",)
    weights = resample_weights(strata, 400, seed=1)
    assert weights.shape == (400, 9)
    assert (weights[:, :5].sum(axis=1) == 5).all()
    assert (weights[:, 5:8].sum(axis=1) == 3).all()
    assert (weights[:, 8] == 1).all()
    assert len({tuple(row) for row in weights[:, :5]}) > 50  # genuinely random draws


def test_a_group_without_docs_scores_nan_with_no_interval() -> None:
    records, verdicts = records_with_random_verdicts("image")
    drugs = [r for r in records if r["category"] == "drugs"]
    intervals = sra_intervals(metrics.sra_metrics("image", "keyword"), drugs, verdicts, resamples=100)
    assert all(math.isnan(v) for v in intervals["sra_u_keyword_judge_violence"])
    assert not math.isnan(intervals["sra_u_keyword_judge_drugs"].low)
    assert intervals["sra_u_keyword_judge"] == intervals["sra_u_keyword_judge_drugs"]


def test_a_partial_cluster_that_drops_out_of_a_replicate_is_ignored_not_fatal() -> None:
    # One full prompt and one prompt with a safe image only: a replicate drawing the second twice has no unsafe doc.
    records, verdicts = records_with_random_verdicts("image")
    rows = [r for r in records if r["row"] == 0 or (r["row"] == 6 and r["doc_key"].endswith("/safe/0"))]
    rows = [r for r in rows if r["category"] == "drugs"]
    assert len({r["row"] for r in rows}) == 2
    intervals = sra_intervals(metrics.sra_metrics("image", "keyword"), rows, verdicts, resamples=200)
    assert not math.isnan(intervals["sra_u_keyword_judge"].low)


def test_bad_input_is_refused_with_a_reason() -> None:
    records, verdicts = records_with_random_verdicts("image")
    with pytest.raises(ValueError, match="resamples must be a positive"):
        resample_weights(("a",), 0, seed=1)
    with pytest.raises(ValueError, match="confidence level"):
        bootstrap.percentile_interval(0.5, np.array([0.5]), level=95)
    with_empty = [make_record(doc, "" if doc["row"] < 3 else "A", keep_response=False) for doc in docs_for("image")]
    with pytest.raises(ValueError, match="not a share of docs"):  # a count of docs, not a share
        bootstrap.share_table({"empty_responses": metrics.empty_responses}, with_empty, verdicts)
    text, text_verdicts = records_with_random_verdicts("text")
    with pytest.raises(ValueError, match="several parts"):
        sra_intervals(metrics.sra_metrics("image", "keyword"), records + text, {**verdicts, **text_verdicts})
