"""lmms-eval hooks of the VSCBench tasks: glue only, every hook calls into the ``vscbench_task`` package.

lmms-eval loads this file once per task (as a separate module each time), so it holds no state.
The ``aggregate_<metric>`` functions named in the YAML metric lists are generated below from the
package's metric tables (``vscbench_task.metrics``), the single source of the metric definitions.
"""

from __future__ import annotations

from typing import Any

from vscbench_task import task_hooks
from vscbench_task.llm_judge import task_hooks as judge_hooks


def image_process_docs(dataset: Any) -> Any:
    return task_hooks.process_docs(dataset, part="image")


def text_process_docs(dataset: Any) -> Any:
    return task_hooks.process_docs(dataset, part="text")


def doc_to_visual(doc: dict) -> list:
    return task_hooks.doc_to_visual(doc)


def doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return task_hooks.doc_to_text(doc, lmms_eval_specific_kwargs)


def doc_to_target(doc: dict) -> str:
    return task_hooks.doc_to_target(doc)


def process_results(doc: dict, results: list[str]) -> dict:
    return task_hooks.process_results(doc, results)


globals().update(task_hooks.aggregation_functions())


# LLM-judge tasks (vscbench_image_judge, vscbench_text_judge): same docs, judged in the aggregation.
def image_judge_process_docs(dataset: Any) -> Any:
    return judge_hooks.process_docs(dataset, part="image")


def text_judge_process_docs(dataset: Any) -> Any:
    return judge_hooks.process_docs(dataset, part="text")


def judge_process_results(doc: dict, results: list[str]) -> dict:
    return judge_hooks.process_results(doc, results)


globals().update(judge_hooks.aggregation_functions())
