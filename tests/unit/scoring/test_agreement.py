"""Agreement of two judges: percent agreement and Cohen's kappa against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vscbench_task.scoring import agreement
from vscbench_task.scoring.bootstrap import resample_weights


def test_kappa_by_hand() -> None:
    a = dict(enumerate([True, True, False, False, True, False, True, False, False, False]))
    b = dict(enumerate([True, False, False, False, True, True, True, False, False, False]))
    # p_o = 8/10; both say yes 4 times in 10, so p_e = .4*.4 + .6*.6 = .52; kappa = (.8 - .52) / .48 = 7/12
    assert agreement.percent_agreement(a, b) == pytest.approx(80.0)
    assert agreement.cohen_kappa(a, b) == pytest.approx(7 / 12)
    assert agreement.cohen_kappa(a, a) == pytest.approx(1.0)
    assert math.isnan(agreement.cohen_kappa({1: True, 2: True}, {1: True, 2: True}))  # chance agreement is 1
    with pytest.raises(ValueError, match="different items"):
        agreement.cohen_kappa({1: True}, {2: True})


def test_binary_agreement_confusion_by_hand() -> None:
    reference = [True, True, True, False, False, False]
    judge = [True, True, False, True, False, False]
    found = agreement.binary_agreement(reference, judge, ["a", "a", "b", "b", "c", "c"], resamples=50)
    assert (found.both_recognised, found.missed, found.false_flags, found.neither_recognised) == (2, 1, 1, 2)
    assert found.n == 6 and found.accuracy == pytest.approx(4 / 6)
    # p_o = 4/6; both say yes 3 times in 6: p_e = .5*.5 + .5*.5 = .5; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert found.kappa == pytest.approx(1 / 3)


def test_the_kappa_interval_resamples_whole_clusters() -> None:
    rng = np.random.default_rng(3)
    clusters = [f"p{i // 5}" for i in range(200)]  # 40 prompts x 5 responses
    reference = list(rng.random(200) < 0.5)
    judge = [r if rng.random() < 0.8 else not r for r in reference]
    found = agreement.binary_agreement(reference, judge, clusters, resamples=300, seed=9)
    # The same replicates, done the slow way: draw prompts, repeat their responses, compute kappa.
    weights = resample_weights(("all",) * 40, 300, seed=9)
    naive = []
    for row in weights:
        drawn = [i for c in range(40) for _ in range(int(row[c])) for i in range(c * 5, c * 5 + 5)]
        a = {n: reference[i] for n, i in enumerate(drawn)}
        b = {n: judge[i] for n, i in enumerate(drawn)}
        naive.append(agreement.cohen_kappa(a, b))
    low, high = np.percentile(naive, [2.5, 97.5])
    assert (found.kappa_low, found.kappa_high) == (pytest.approx(low), pytest.approx(high))
    assert found.kappa_low < found.kappa < found.kappa_high
    one_cluster = agreement.binary_agreement(reference, judge, ["all"] * 200, resamples=50)
    assert one_cluster.kappa_low == one_cluster.kappa_high == pytest.approx(one_cluster.kappa)


def test_spearman_by_hand() -> None:
    assert agreement.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert agreement.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks x: 1 2 3 4, y: 1 3 2 4 -> d^2 = 0+1+1+0 = 2 -> rho = 1 - 6*2/(4*15) = 0.8
    assert agreement.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    # ties get average ranks: x ranks 1.5 1.5 3, y ranks 2.5 2.5 1
    assert agreement.spearman([0.9, 0.9, 1.0], [0.5, 0.5, 0.1]) == pytest.approx(-1.0)
    assert math.isnan(agreement.spearman([1], [2])) and math.isnan(agreement.spearman([1, 1], [1, 2]))
