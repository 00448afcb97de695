"""The labelling sample: every stratum present, balanced within strata, weights that stand for the run,
the same sample for the same seed."""

from __future__ import annotations

from collections import Counter

import pytest

from vscbench_task.annotate.sample import MIN_PER_STRATUM, SampleError, draw
from vscbench_task.dataset.items import items
from vscbench_task.scoring.records import Response

RESPONSES = [Response(item.doc_key, "Sure.") for part in ("image", "text") for item in items(part)]


def test_every_stratum_gets_its_share_and_the_weights_add_up_to_the_run() -> None:
    sample = draw(RESPONSES, 200, seed=7)
    assert set(sample.drawn) == {"image/safe", "image/unsafe", "text/safe", "text/unsafe"}
    assert set(sample.drawn.values()) == {50}  # equal shares: every stratum holds more than 50
    assert sample.population == {"image/safe": 900, "image/unsafe": 900, "text/safe": 1250, "text/unsafe": 1000}
    weights: Counter[str] = Counter()
    for sampled in sample.items:
        weights[sampled.stratum] += sampled.weight
    assert weights == pytest.approx(sample.population)
    assert sample.empty == () and sample.minimum_note() is None


def test_the_draw_is_balanced_over_categories_and_variants_within_a_stratum() -> None:
    sample = draw(RESPONSES, 240, seed=1)
    for stratum in sample.drawn:
        part = stratum.split("/")[0]
        groups = Counter(
            s.response.item.category if part == "image" else s.response.item.variant
            for s in sample.items
            if s.stratum == stratum
        )
        assert len(groups) == (6 if part == "image" else 5)
        assert max(groups.values()) - min(groups.values()) <= 1, (stratum, groups)


def test_the_same_seed_gives_the_same_sample_and_another_seed_another() -> None:
    first, again = draw(RESPONSES, 60, seed=3), draw(RESPONSES, 60, seed=3)
    assert [s.response.doc_key for s in first.items] == [s.response.doc_key for s in again.items]
    other = draw(RESPONSES, 60, seed=4)
    assert {s.response.doc_key for s in other.items} != {s.response.doc_key for s in first.items}


def test_judge_classes_make_strata_and_rare_ones_are_oversampled() -> None:
    keys = [r.doc_key for r in RESPONSES if r.item.part == "image"]
    responses = [r for r in RESPONSES if r.item.part == "image"]
    rare = set(keys[:12])  # 12 responses the judge calls recognised
    classes = {key: "recognised" if key in rare else "not_recognised" for key in keys}
    sample = draw(responses, 80, seed=0, judge_classes=classes, judge_labels=("recognised", "not_recognised"))
    recognised = [s for s in sample.items if s.stratum.endswith("/recognised")]
    assert {s.response.doc_key for s in recognised} == rare  # all of them: the stratum is smaller than its share
    assert all(s.weight == 1.0 for s in recognised)
    assert sum(s.weight for s in sample.items) == pytest.approx(len(responses))
    assert sample.drawn["image/safe/recognised"] == sample.drawn["image/unsafe/recognised"] == 6
    assert sample.empty == ()


def test_a_sample_too_small_for_its_strata_says_what_is_sensible() -> None:
    sample = draw(RESPONSES, 12, seed=0)
    note = sample.minimum_note()
    assert note is not None and f"--sample {4 * MIN_PER_STRATUM}" in note


def test_empty_strata_of_the_design_are_reported() -> None:
    only_safe_text = [r for r in RESPONSES if r.item.part == "text" and not r.item.unsafe]
    assert draw(only_safe_text, 20, seed=0).empty == ("text/unsafe",)


def test_no_sample_and_missing_verdicts_are_refused() -> None:
    with pytest.raises(SampleError, match="at least 1"):
        draw(RESPONSES, 0, seed=0)
    with pytest.raises(SampleError, match="miss 4,050 responses"):
        draw(RESPONSES, 10, seed=0, judge_classes={}, judge_labels=("x",))
