"""Which items each lm-evaluation-harness task holds, and which VSCBench part it belongs to.

lm-eval's multimodal backends cannot mix image-less docs into a task with images, so the text part is two
tasks there: ``vscbench_text_txt`` (the text-only variant) and ``vscbench_text_images`` (the four image
variants); their responses are merged back into the part (``vscbench_text``) when a run is read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from vscbench_task.dataset.items import PARTS, Item, items
from vscbench_task.scoring.metric_specs import TASK_OF_PART, MetricSpec, judge_metrics

TASK_ITEMS: dict[str, Callable[[Item], bool]] = {
    "vscbench_image": lambda item: item.part == "image",
    "vscbench_text_txt": lambda item: item.part == "text" and item.variant == "txt",
    "vscbench_text_images": lambda item: item.part == "text" and item.variant != "txt",
}
TASK_PART = {task: "image" if task == "vscbench_image" else "text" for task in TASK_ITEMS}
# lm-eval task -> the task its part's responses are filed under when a run is read.
PART_TASK = {task: TASK_OF_PART[part] for task, part in TASK_PART.items()}


@cache
def task_items(task: str) -> tuple[Item, ...]:
    """The task's items, in the benchmark's stratified order (a doc's ``doc_id`` indexes them)."""
    keep = TASK_ITEMS[task]
    return tuple(item for part in PARTS for item in items(part) if keep(item))


def task_of(item: Item) -> str:
    """The lm-eval task that holds ``item``."""
    return next(task for task, keep in TASK_ITEMS.items() if keep(item))


@cache
def task_metrics(task: str) -> tuple[MetricSpec, ...]:
    """The keyword metrics of the task's part that its items can have: the txt task reports no
    figure of the image variants, and the other way round."""
    chosen = task_items(task)
    return tuple(
        spec
        for spec in judge_metrics(TASK_PART[task], "keyword")
        if any(all(getattr(item, field) == value for field, value in spec.where) for item in chosen)
    )
