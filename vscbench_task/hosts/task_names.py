"""How the benchmark's tasks are named after their split, method and judge.

A part's task is named after the part (``dataset.items.TASK_OF_PART``); a split or method task adds a
suffix (``VARIANTS``: ``_eval`` for the evaluation split's baseline, ``_reminder`` and ``_fewshot`` for the
prompt methods on it), and an lmms-eval task scored by the LLM judge adds ``_judge`` (``JUDGE_SUFFIX``).
lmms-eval has every variant; lm-eval the ones its interface allows (no few-shot task), with the text part
in tasks of its own; inspect_ai takes split and method as task arguments. A leaderboard row names the
lmms-eval task whose figure it is (``reporting_task``), whichever host made the run.
"""

from __future__ import annotations

from vscbench_task.calibration.split import CALIBRATION, EVALUATION, FULL
from vscbench_task.dataset.items import TASK_OF_PART
from vscbench_task.hosts.run import BASELINE

GROUP = "vscbench"  # the group of the two parts' tasks: its figure is the plain mean of theirs
# Suffix of a task's name -> (split, method).
VARIANTS: dict[str, tuple[str, str]] = {
    "": (FULL, BASELINE),
    "_eval": (EVALUATION, BASELINE),
    "_reminder": (EVALUATION, "reminder"),
    "_fewshot": (EVALUATION, "fewshot"),
}
JUDGE_SUFFIX = {"keyword": "", "llm": "_judge"}
CALIBRATION_SUFFIX = "_calibration"  # the calibration split's tasks: keyword judge only, no group


def calibration_task(part: str) -> str:
    """The task of ``part``'s calibration split (``vscbench steer fit`` builds its inputs from it)."""
    return f"{TASK_OF_PART[part]}{CALIBRATION_SUFFIX}"


def reporting_task(part: str | None, judge: str, split: str, method: str | None) -> str | None:
    """The task (of ``part``; ``None``: the group) whose figures a run of ``split`` made by ``method``
    reports, as a leaderboard row names it. A method without tasks of its own (steering, or none recorded)
    runs its split's baseline tasks; ``None`` where no task reports the figure (a prompt method on a split
    it has no task for, as inspect_ai can run; the calibration split's LLM-judged tasks and group)."""
    suffix = next((s for s, v in VARIANTS.items() if v == (split, method)), None)
    if suffix is None and method in {m for _, m in VARIANTS.values() if m != BASELINE}:
        return None
    suffix = next((s for s, v in VARIANTS.items() if v == (split, BASELINE)), None) if suffix is None else suffix
    if suffix is None:
        keyword_part = part is not None and judge == "keyword" and split == CALIBRATION
        return calibration_task(part) if keyword_part and part is not None else None
    return f"{TASK_OF_PART[part] if part is not None else GROUP}{suffix}{JUDGE_SUFFIX[judge]}"
