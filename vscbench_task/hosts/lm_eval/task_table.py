"""The lm-evaluation-harness tasks: which items each holds, which VSCBench part they belong to, and what
its YAML needs.

lm-eval's multimodal backends cannot mix image-less docs into a task with images, so the text part is two
tasks there: ``vscbench_text_txt`` (the text-only variant) and ``vscbench_text_images`` (the four image
variants); their responses are merged back into the part (filed under ``dataset.items.TASK_OF_PART``)
when a run is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from vscbench_task.dataset.items import PARTS, Item, items
from vscbench_task.scoring.metric_specs import MetricSpec, ShareSpec, judge_metrics


@dataclass(frozen=True)
class LmEvalTask:
    """One lm-eval task: its part, which of the part's items it holds, its ``custom_dataset`` hook, whether
    it sends images, and what it holds (for its YAML's comment)."""

    part: str
    holds_item: Callable[[Item], bool]
    dataset_hook: str
    has_images: bool
    holds: str


LM_EVAL_TASKS: dict[str, LmEvalTask] = {
    "vscbench_image": LmEvalTask(
        "image",
        lambda item: item.part == "image",
        "image_dataset",
        True,
        "1,800 docs: each of the 300 prompts with its 3 safe and 3 unsafe images.",
    ),
    "vscbench_text_txt": LmEvalTask(
        "text",
        lambda item: item.part == "text" and item.variant == "txt",
        "text_txt_dataset",
        False,
        "450 docs: the text-only txt variant of the 450 queries.",
    ),
    "vscbench_text_images": LmEvalTask(
        "text",
        lambda item: item.part == "text" and item.variant != "txt",
        "text_images_dataset",
        True,
        "1,800 docs: the search, typography, concat and figstep variants of the 450 queries.",
    ),
}


@cache
def task_items(task: str) -> tuple[Item, ...]:
    """The task's items, in the benchmark's stratified order (a doc's ``doc_id`` indexes them)."""
    keep = LM_EVAL_TASKS[task].holds_item
    return tuple(item for part in PARTS for item in items(part) if keep(item))


def task_of(item: Item) -> str:
    """The lm-eval task that holds ``item``."""
    return next(task for task, spec in LM_EVAL_TASKS.items() if spec.holds_item(item))


@cache
def task_metrics(task: str) -> tuple[MetricSpec, ...]:
    """The keyword metrics of the task's part that its items can have: the txt task reports no
    figure of the image variants, and the other way round."""
    chosen = task_items(task)

    def applies(spec: MetricSpec) -> bool:
        where = spec.where if isinstance(spec, ShareSpec) else ()
        return any(all(getattr(item, field) == value for field, value in where) for item in chosen)

    return tuple(spec for spec in judge_metrics(LM_EVAL_TASKS[task].part, "keyword") if applies(spec))
