"""lmms-eval output folders written the way lmms-eval 0.7.3 writes them, for tests that read runs back
without running a model: the per-doc records come from the tasks' own ``process_results``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vscbench_task.hosts.lmms_eval import hooks, judge_hooks
from vscbench_task.hosts.lmms_eval.task_table import LMMS_TASKS, task_items

STAMP = "20260101_000000"


def samples(task: str, texts: list[str], *, first: int = 0) -> list[dict[str, Any]]:
    """One logged sample per text, on the task's items from ``first`` on (stratified order).

    lmms-eval logs the raw generation but strips it before ``process_results``; the raw text is logged
    with a trailing newline here so readers must strip as lmms-eval does.
    """
    process = hooks.process_results if LMMS_TASKS[task].judge == "keyword" else judge_hooks.process_results
    lines = []
    for doc_id, (item, text) in enumerate(zip(task_items(task)[first:], texts, strict=False), first):
        raw = f"{text}\n"
        lines.append({"doc_id": doc_id, "resps": [[raw]], "filtered_resps": [raw]} | process(item.request(), [text]))
    return lines


def write_run(
    folder: Path, logged: dict[str, list[dict[str, Any]]], results: dict[str, Any] | None = None, stamp: str = STAMP
) -> Path:
    """A results file and one samples file per task; returns the results file. ``results`` defaults to a
    minimal one; ``n-samples`` is added (each task's count, as lmms-eval writes it) unless it is given."""
    folder.mkdir(parents=True, exist_ok=True)
    for task, lines in logged.items():
        text = "".join(json.dumps(line) + "\n" for line in lines)
        (folder / f"{stamp}_samples_{task}.jsonl").write_text(text, encoding="utf-8")
    path = folder / f"{stamp}_results.json"
    document = results if results is not None else {"results": {}}
    counts = {
        task: {
            "original": len(task_items(task)) if task in LMMS_TASKS else len(lines),
            "effective": len(lines),
        }
        for task, lines in logged.items()
    }
    if isinstance(document, dict):
        document = {"n-samples": counts, **document}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
