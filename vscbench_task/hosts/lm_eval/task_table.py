"""The lm-evaluation-harness tasks: which items each holds, which VSCBench part they belong to, and what
its YAML needs.

lm-eval's multimodal backends cannot mix image-less docs into a task with images, so the text part is two
tasks there: ``vscbench_text_txt`` (the text-only variant) and ``vscbench_text_images`` (the four image
variants); their responses are merged back into the part (filed under ``dataset.items.TASK_OF_PART``)
when a run is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from vscbench_task.calibration.split import FULL, split_items
from vscbench_task.dataset.items import PARTS, Item
from vscbench_task.hosts import task_names
from vscbench_task.hosts.run import BASELINE
from vscbench_task.scoring.metric_specs import MetricSpec, ShareSpec, judge_metrics


@dataclass(frozen=True)
class LmEvalTask:
    """One lm-eval task: its part, which of the part's items it holds, its ``custom_dataset`` hook, whether
    it sends images, what it holds (for its YAML's comment), and its benchmark split and calibration
    method (``calibration.split``; the method tasks are the evaluation split's)."""

    part: str
    holds_item: Callable[[Item], bool]
    dataset_hook: str
    has_images: bool
    holds: str
    split: str = FULL
    method: str = BASELINE


_FULL_TASKS: dict[str, LmEvalTask] = {
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
# Suffix -> (split, method): the evaluation split's baseline and the reminder (lm-eval's `description`:
# a system message under --apply_chat_template, a pre-prompt without). lm-eval sends a request's images from
# the evaluated doc only, so demonstrations cannot carry theirs: the few-shot method is not offered here.
VARIANTS: dict[str, tuple[str, str]] = {suffix: v for suffix, v in task_names.VARIANTS.items() if v[1] != "fewshot"}
BASE_TASKS: tuple[str, ...] = tuple(_FULL_TASKS)
LM_EVAL_TASKS: dict[str, LmEvalTask] = {
    f"{task}{suffix}": replace(
        spec,
        dataset_hook=spec.dataset_hook if split == FULL else spec.dataset_hook.replace("_dataset", "_eval_dataset"),
        holds=spec.holds if split == FULL else f"the docs of {task} in the evaluation split (calibration/split.py).",
        split=split,
        method=method,
    )
    for suffix, (split, method) in VARIANTS.items()
    for task, spec in _FULL_TASKS.items()
}


@cache
def task_items(task: str) -> tuple[Item, ...]:
    """The task's items, in the benchmark's stratified order (a doc's ``doc_id`` indexes them)."""
    spec = LM_EVAL_TASKS[task]
    return tuple(item for part in PARTS for item in split_items(part, spec.split) if spec.holds_item(item))


def task_of(item: Item) -> str:
    """The lm-eval task of the whole benchmark that holds ``item`` (its split and method variants report
    the same metrics)."""
    return next(task for task, spec in _FULL_TASKS.items() if spec.holds_item(item))


@cache
def task_metrics(task: str) -> tuple[MetricSpec, ...]:
    """The keyword metrics of the task's part that its items can have: the txt task reports no
    figure of the image variants, and the other way round."""
    chosen = task_items(task)

    def applies(spec: MetricSpec) -> bool:
        where = spec.where if isinstance(spec, ShareSpec) else ()
        return any(all(getattr(item, field) == value for field, value in where) for item in chosen)

    return tuple(spec for spec in judge_metrics(LM_EVAL_TASKS[task].part, "keyword") if applies(spec))
