"""A leaderboard row names the lmms-eval task whose figure it is: the method's own task, its split's
baseline task for a method without tasks (steering), and none where no task reports the figure."""

from __future__ import annotations

import pytest

from vscbench_task.hosts.lmms_eval.task_table import LMMS_GROUPS, LMMS_TASKS
from vscbench_task.hosts.task_names import reporting_task


@pytest.mark.parametrize(
    ("part", "judge", "split", "method", "task"),
    [
        ("image", "keyword", "full", "baseline", "vscbench_image"),
        ("text", "llm", "full", None, "vscbench_text_judge"),
        (None, "keyword", "full", "baseline", "vscbench"),
        ("image", "keyword", "evaluation", "reminder", "vscbench_image_reminder"),
        (None, "llm", "evaluation", "fewshot", "vscbench_fewshot_judge"),
        ("image", "keyword", "evaluation", "steering", "vscbench_image_eval"),
        ("text", "llm", "evaluation", None, "vscbench_text_eval_judge"),
        ("image", "keyword", "calibration", None, "vscbench_image_calibration"),
        ("image", "llm", "calibration", None, None),
        (None, "keyword", "calibration", None, None),
        ("image", "keyword", "full", "reminder", None),  # inspect_ai can run it; no lmms-eval task reports it
    ],
)
def test_each_run_shape_names_the_task_that_reports_its_figure(
    part: str | None, judge: str, split: str, method: str | None, task: str | None
) -> None:
    assert reporting_task(part, judge, split, method) == task
    assert task is None or task in LMMS_TASKS or task in LMMS_GROUPS
