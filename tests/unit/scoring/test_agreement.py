"""Agreement of two judges: percent agreement and Cohen's kappa against hand-computed values."""

from __future__ import annotations

import math

import pytest

from vscbench_task.scoring import agreement


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
