"""The lmms-eval task folder's tasks and groups: which part each task asks, on which split, with which
calibration method, and which judge scores it.

The task YAMLs, the aggregation module (``task_files``), the hooks and the outputs reader all read this
table. The keyword tasks of the whole benchmark are named after their part (``dataset.items.TASK_OF_PART``),
the names every host's run is filed under; the split and method tasks add ``_eval``, ``_calibration``,
``_reminder`` or ``_fewshot``, and the LLM-judge tasks add ``_judge``. A method task reports the same
metrics under the same names as the baseline: only its name says which method made the responses.
"""

from __future__ import annotations

from typing import NamedTuple

from vscbench_task.calibration.split import CALIBRATION, FULL, split_items
from vscbench_task.dataset.items import TASK_OF_PART, Item
from vscbench_task.hosts.run import BASELINE
from vscbench_task.hosts.task_names import GROUP, JUDGE_SUFFIX, VARIANTS, calibration_task
from vscbench_task.scoring.metric_specs import MetricSpec, group_metrics, judge_metrics

SHOTS_KEY = "shots"  # the few-shot tasks' lmms_eval_specific_kwargs key: how many demonstrations


class LmmsTask(NamedTuple):
    part: str
    judge: str
    split: str = FULL
    method: str = BASELINE


LMMS_TASKS: dict[str, LmmsTask] = {
    f"{task}{suffix}{JUDGE_SUFFIX[judge]}": LmmsTask(part, judge, split, method)
    for suffix, (split, method) in VARIANTS.items()
    for judge in JUDGE_SUFFIX
    for part, task in TASK_OF_PART.items()
}
# The calibration split, keyword judge only: what `vscbench steer fit` builds its inputs from (with the
# baseline's prompts), and a way to look at a model's answers on it.
LMMS_TASKS |= {calibration_task(part): LmmsTask(part, "keyword", CALIBRATION) for part in TASK_OF_PART}

# Each group: its tasks and the judge scoring them; its own figure is ``scoring.metric_specs.group_metrics``.
LMMS_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    f"{GROUP}{suffix}{JUDGE_SUFFIX[judge]}": (
        tuple(f"{task}{suffix}{JUDGE_SUFFIX[judge]}" for task in TASK_OF_PART.values()),
        judge,
    )
    for suffix in VARIANTS
    for judge in JUDGE_SUFFIX
}


def task_metrics(task: str) -> tuple[MetricSpec, ...]:
    """The metric list of one lmms-eval task, in the order its YAML lists them."""
    spec = LMMS_TASKS[task]
    return judge_metrics(spec.part, spec.judge)


def task_part(task: str) -> str | None:
    """The part of a VSCBench lmms-eval task (``None`` for a task this package does not define)."""
    return LMMS_TASKS[task].part if task in LMMS_TASKS else None


def task_items(task: str) -> tuple[Item, ...]:
    """The items of a VSCBench lmms-eval task in the order its docs are listed: a sample's ``doc_id``
    indexes them."""
    spec = LMMS_TASKS[task]
    return split_items(spec.part, spec.split)


def lmms_group_metrics(group: str) -> tuple[str, ...]:
    """The metrics a group reports for itself."""
    return group_metrics(LMMS_GROUPS[group][1])
