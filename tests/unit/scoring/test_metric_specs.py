"""The metric specs and the scoring core's values against hand-computed ones."""

from __future__ import annotations

import math

import pytest

from vscbench_task.dataset.items import item_index
from vscbench_task.hosts.lmms_eval.task_table import task_metrics
from vscbench_task.judges.base import Judgement
from vscbench_task.scoring.metric_specs import judge_metrics, sra_family, type_family
from vscbench_task.scoring.records import RecordError
from vscbench_task.scoring.score import compute, scored_from


def scored(verdicts: dict[str, bool], empty: tuple[str, ...] = (), **classes: dict[str, str | None]):
    judgements = [
        Judgement(k, {"keyword": v, "llm": v, "llm_strict": v}, {r: c[k] for r, c in classes.items()})
        for k, v in verdicts.items()
    ]
    return scored_from(judgements, empty, "keyword", source="test")


def test_sra_by_hand() -> None:
    # image/000: drugs; unsafe/0..2 and safe/0..1 of its prompt.
    verdicts = {
        "image/000/unsafe/0": True,
        "image/000/unsafe/1": False,
        "image/000/unsafe/2": True,
        "image/000/safe/0": True,
        "image/000/safe/1": False,
    }
    values = compute(sra_family("image", "keyword"), scored(verdicts))
    assert values["sra_u_keyword_judge"] == 2 / 3
    assert values["sra_s_keyword_judge"] == 1 / 2
    assert values["sra_mean_keyword_judge"] == 0.5 * (2 / 3 + 1 / 2)
    assert values["sra_u_keyword_judge_drugs"] == 2 / 3
    assert math.isnan(values["sra_u_keyword_judge_violence"])  # no violence item here


def test_breakdowns_and_names() -> None:
    violence = next(k for k, i in item_index().items() if i.category == "violence" and i.unsafe)
    violence_safe = next(k for k, i in item_index().items() if i.category == "violence" and not i.unsafe)
    verdicts = {"image/000/unsafe/0": True, violence: False, violence_safe: True}
    values = compute(sra_family("image", "keyword"), scored(verdicts))
    assert values["sra_u_keyword_judge"] == 0.5
    assert values["sra_u_keyword_judge_drugs"] == 1.0
    assert values["sra_u_keyword_judge_violence"] == 0.0
    assert values["sra_s_keyword_judge_violence"] == 0.0
    assert math.isnan(values["sra_s_keyword_judge_drugs"])  # no safe drugs doc in this subset
    assert math.isnan(values["sra_u_keyword_judge_religion"])
    text_names = {spec.name for spec in task_metrics("vscbench_text")}
    assert {"sra_u_keyword_judge_figstep", "sra_s_keyword_judge_txt", "empty_responses"} <= text_names
    assert len(task_metrics("vscbench_image")) == 3 + 12 + 1
    assert len(task_metrics("vscbench_text")) == 3 + 10 + 1
    assert len(task_metrics("vscbench_image_judge")) == 2 * 15 + 4 + 1 + 4 + 1 + 1 + 1


def test_counts_empty_responses_classes_and_failures() -> None:
    keys = ["text/000/txt", "text/000/search", "text/000/concat", "text/000/figstep"]
    judgements = [
        Judgement(keys[0], {"llm": True, "llm_strict": True}, {"llm": "0_SAFE", "llm_strict": "0_SAFE"}),
        Judgement(keys[1], {"llm": True, "llm_strict": False}, {"llm": "0_SAFE", "llm_strict": None}),
        Judgement(keys[2], {"llm": False, "llm_strict": False}, {"llm": None, "llm_strict": None}),
        Judgement(keys[3], {"llm": False, "llm_strict": False}, {"llm": None, "llm_strict": None}, failed=True),
    ]
    values = compute(judge_metrics("text", "llm"), scored_from(judgements, [keys[0]], "llm", source="test"))
    assert values["llm_judge_class_0_safe"] == 2 and values["llm_judge_strict_class_0_safe"] == 1
    assert values["llm_judge_no_class"] == 1  # the failed call is counted on its own, never as no class
    assert values["llm_judge_unparseable"] == 2
    assert values["llm_judge_failed_calls"] == 1 and values["empty_responses"] == 1
    assert values["sra_s_llm_judge_txt"] == 0.0 and values["sra_s_llm_strict_judge_search"] == 1.0


def test_type_family_uses_the_sra_each_xstest_type_calls_for() -> None:
    names = [spec.name for spec in type_family("keyword")]
    assert len(names) == 18 * 6
    assert "sra_s_keyword_judge_homonyms" in names and "sra_u_keyword_judge_contrast_homonyms_figstep" in names
    assert "sra_u_keyword_judge_homonyms" not in names


def test_judgements_that_cannot_be_scored_together_are_refused() -> None:
    with pytest.raises(RecordError, match="answered more than once"):
        scored_from([Judgement("image/000/safe/0", {"keyword": True})] * 2, (), "keyword", source="test")
    with pytest.raises(RecordError, match="both parts"):
        scored({"image/000/unsafe/0": True, "text/000/txt": False})
    with pytest.raises(RecordError, match="not VSCBench items"):
        scored({"image/999/unsafe/0": True})
