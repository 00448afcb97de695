"""lmms-eval hooks of the VSCBench tasks: glue only, every hook calls into the ``vscbench_task`` package.

lmms-eval loads this file once per ``!function`` tag (as a separate module each time), so it holds no
state and imports nothing heavy of its own. The metrics' aggregation functions are not here: the YAMLs
name them in ``vscbench_task.hosts.lmms_eval.aggregations`` (generated from the metric specs), a module imported
once, so every aggregation of a task shares the one computation of its metrics.
"""

from __future__ import annotations

from typing import Any

from vscbench_task.hosts.lmms_eval import hooks, judge_hooks, method_hooks


def image_process_docs(dataset: Any) -> Any:
    return hooks.process_docs(dataset, part="image")


def text_process_docs(dataset: Any) -> Any:
    return hooks.process_docs(dataset, part="text")


# The evaluation and calibration splits (tasks *_eval, *_reminder, *_fewshot; *_calibration).
def image_eval_process_docs(dataset: Any) -> Any:
    return hooks.process_docs(dataset, part="image", split="evaluation")


def text_eval_process_docs(dataset: Any) -> Any:
    return hooks.process_docs(dataset, part="text", split="evaluation")


def image_calibration_process_docs(dataset: Any) -> Any:
    return hooks.process_docs(dataset, part="image", split="calibration")


def text_calibration_process_docs(dataset: Any) -> Any:
    return hooks.process_docs(dataset, part="text", split="calibration")


def doc_to_visual(doc: dict) -> list:
    return hooks.doc_to_visual(doc)


def doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return hooks.doc_to_text(doc, lmms_eval_specific_kwargs)


def doc_to_target(doc: dict) -> str:
    return hooks.doc_to_target(doc)


def process_results(doc: dict, results: list[str]) -> dict:
    return hooks.process_results(doc, results)


# LLM-judge tasks (vscbench_image_judge, vscbench_text_judge): same docs, judged in the aggregation.
def image_judge_process_docs(dataset: Any) -> Any:
    return judge_hooks.process_docs(dataset, part="image")


def text_judge_process_docs(dataset: Any) -> Any:
    return judge_hooks.process_docs(dataset, part="text")


def image_eval_judge_process_docs(dataset: Any) -> Any:
    return judge_hooks.process_docs(dataset, part="image", split="evaluation")


def text_eval_judge_process_docs(dataset: Any) -> Any:
    return judge_hooks.process_docs(dataset, part="text", split="evaluation")


def judge_process_results(doc: dict, results: list[str]) -> dict:
    return judge_hooks.process_results(doc, results)


# Prompt-based calibration methods (tasks *_reminder, *_fewshot): what reaches the model, per backend class.
def reminder_doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return method_hooks.reminder_doc_to_text(doc, lmms_eval_specific_kwargs)


def reminder_doc_to_messages(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> list:
    return method_hooks.reminder_doc_to_messages(doc, lmms_eval_specific_kwargs)


def fewshot_doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return method_hooks.fewshot_doc_to_text(doc, lmms_eval_specific_kwargs)


def fewshot_doc_to_messages(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> list:
    return method_hooks.fewshot_doc_to_messages(doc, lmms_eval_specific_kwargs)
