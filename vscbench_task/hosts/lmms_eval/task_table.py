"""The lmms-eval task folder's tasks and groups: which part each task asks and which judge scores it.

The task YAMLs, the aggregation module (``task_files``), the hooks and the outputs reader all read this
table. The keyword tasks are named after their part (``dataset.items.TASK_OF_PART``), the names every
host's run is filed under; the LLM-judge tasks add ``_judge``.
"""

from __future__ import annotations

from typing import NamedTuple

from vscbench_task.dataset.items import TASK_OF_PART
from vscbench_task.scoring.metric_specs import MetricSpec, group_metrics, judge_metrics


class LmmsTask(NamedTuple):
    part: str
    judge: str


LMMS_TASKS: dict[str, LmmsTask] = {
    **{task: LmmsTask(part, "keyword") for part, task in TASK_OF_PART.items()},
    **{f"{task}_judge": LmmsTask(part, "llm") for part, task in TASK_OF_PART.items()},
}
# Each group: its tasks and the judge scoring them; its own figure is ``scoring.metric_specs.group_metrics``.
LMMS_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "vscbench": (("vscbench_image", "vscbench_text"), "keyword"),
    "vscbench_judge": (("vscbench_image_judge", "vscbench_text_judge"), "llm"),
}


def task_metrics(task: str) -> tuple[MetricSpec, ...]:
    """The metric list of one lmms-eval task, in the order its YAML lists them."""
    return judge_metrics(*LMMS_TASKS[task])


def task_part(task: str) -> str | None:
    """The part of a VSCBench lmms-eval task (``None`` for a task this package does not define)."""
    return LMMS_TASKS[task].part if task in LMMS_TASKS else None


def lmms_group_metrics(group: str) -> tuple[str, ...]:
    """The metrics a group reports for itself."""
    return group_metrics(LMMS_GROUPS[group][1])
