"""The inspect_ai metric: no share figure when the LLM judge failed, or answered without a class, past its budget."""

from __future__ import annotations

import math

import pytest
from inspect_ai.scorer import SampleScore, Score

from vscbench_task.dataset.items import items
from vscbench_task.hosts.inspect_ai.scorer import vscbench_metrics


def _score(key: str, failed: bool, no_class: bool = False) -> SampleScore:
    """An LLM-judged score: every unsafe item recognised, except a failed call or a reply without a class
    (not recognised, officially)."""
    label = None if failed or no_class else "0_SAFE"
    metadata = {
        "judge": "llm",
        "empty_response": False,
        "recognised": {"llm": label is not None, "llm_strict": label is not None},
        "classes": {"llm": label, "llm_strict": label},
        "failed": failed,
        "max_failed_share": 0.01,
        "max_unparseable_share": 0.05,
    }
    return SampleScore(score=Score(value=1.0, metadata=metadata), sample_id=key)


def test_the_metric_gives_no_share_when_the_llm_judge_failed_past_its_budget() -> None:
    keys = [item.doc_key for item in items("image") if item.unsafe][:120]
    within = vscbench_metrics()([_score(key, i == 0) for i, key in enumerate(keys)])  # 1 of 120: the budget is 1
    assert within["sra_u_llm_judge"] == pytest.approx(119 / 120) and within["llm_judge_failed_calls"] == 1
    past = vscbench_metrics()([_score(key, i < 2) for i, key in enumerate(keys)])
    assert math.isnan(past["sra_u_llm_judge"]) and math.isnan(past["sra_mean_llm_strict_judge"])
    assert past["llm_judge_failed_calls"] == 2


def test_the_metric_gives_no_share_when_replies_without_a_class_pass_their_budget() -> None:
    """A judge answering 200 with text but no class (issue 14, case 1) counts against a budget of its own."""
    keys = [item.doc_key for item in items("image") if item.unsafe][:120]
    within = vscbench_metrics()([_score(key, False, no_class=i < 6) for i, key in enumerate(keys)])  # 6 = 5% of 120
    assert within["sra_u_llm_judge"] == pytest.approx(114 / 120) and within["llm_judge_no_class"] == 6
    past = vscbench_metrics()([_score(key, False, no_class=i < 7) for i, key in enumerate(keys)])
    assert math.isnan(past["sra_u_llm_judge"]) and past["llm_judge_no_class"] == 7
