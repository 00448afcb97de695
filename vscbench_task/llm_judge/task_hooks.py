"""lmms-eval hooks of the LLM-judge tasks ``vscbench_image_judge`` / ``vscbench_text_judge``.

Docs, prompts and images are those of the keyword tasks (``vscbench_task.task_hooks``); what differs:

* ``process_docs`` first checks the judge works (settings, then one small real call), so a missing key
  or an unreachable endpoint stops the run at task load, before any generation, naming the setting.
  Like the data check it leaves as ``SystemExit``: lmms-eval retries ordinary exceptions from task
  loading five times and then hides the message behind a ``RetryError``.
* ``process_results`` only records the response; no judge call runs per doc (lmms-eval would run them
  one at a time in its 4-thread pool).
* The first aggregation of a task judges all its records at once (cache first, then ``concurrency``
  calls in flight) and memoises the annotated records; the task's other aggregations reuse them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from typing import Any

import datasets
from tqdm import tqdm

from vscbench_task import metrics, task_hooks
from vscbench_task.llm_judge import prompt
from vscbench_task.llm_judge.client import preflight
from vscbench_task.llm_judge.judge import judge_records
from vscbench_task.llm_judge.settings import JudgeNotConfigured, JudgeSettings, from_env
from vscbench_task.records import Record, make_record

_judged: dict[str, list[Record]] = {}  # fingerprint of a task's records and judge -> the records, annotated


def process_docs(dataset: datasets.Dataset, *, part: str) -> datasets.Dataset:
    """Check the judge, then build the docs exactly as the keyword task does."""
    try:
        preflight()
    except JudgeNotConfigured as err:
        raise SystemExit(f"vscbench: {err}") from None
    return task_hooks.process_docs(dataset, part=part)


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Record]:
    """One record per doc under every metric name of the task; only the first carries the response.

    lmms-eval logs each metric's value separately, so a response kept under all ~40 metric names would
    be written ~40 times per doc. The first metric's record (``sra_u_llm_judge``) carries it; the others
    carry its hash. lmms-eval 0.7.3 aggregates metrics in the order ``process_results`` returns them, so
    the carrier's aggregation judges every record first and the others find the verdicts by hash.
    """
    record = make_record(doc, results[0], keep_response=True)
    record["response_sha256"] = hashlib.sha256(record["response"].encode("utf-8")).hexdigest()
    slim = {k: v for k, v in record.items() if k != "response"}
    carrier, *others = metrics.llm_task_metrics(record["part"])
    return {carrier: record, **dict.fromkeys(others, slim)}


def _fingerprint(records: list[Record], settings: JudgeSettings) -> str:
    """Identity of one judging: the records' responses and the judge (model, endpoint, prompt), so a
    process that judges the same responses again with another judge does not reuse stale verdicts."""
    items = sorted((r["doc_key"], r["response_sha256"]) for r in records)
    judge = [settings.model, settings.url, prompt.PROMPT_VERSION]
    return hashlib.sha256(json.dumps([judge, items]).encode("utf-8")).hexdigest()


def judged(records: list[Record]) -> list[Record]:
    """The records with their ``llm_judge_*`` fields; judged once per distinct set of records and judge.

    Records with responses are judged (cache first); records carrying only the response hash are
    served from that judging, or refused with instructions if it has not happened yet.
    """
    records = task_hooks.unique_records(records)
    settings = from_env()
    fingerprint = _fingerprint(records, settings)
    if fingerprint not in _judged:
        if not all("response" in r for r in records):
            # An exception here aborts lmms-eval before it writes results or samples, so say how to redo it.
            raise RuntimeError(
                "vscbench: LLM-judge metrics were aggregated before the records carrying the responses "
                "(this lmms-eval version changed its aggregation order); lmms-eval writes no results or "
                "samples for this run. Re-run with `--use_cache DIR` so the model's generations are reused, "
                "or with `--predict_only --log_samples` and then `vscbench rescore OUTPUT_DIR --judge llm`."
            )
        run = judge_records(records, settings)
        public = ", ".join(f"{k}={v}" for k, v in settings.public().items())
        tqdm.write(
            f"VSCBench LLM judge: {len(records)} docs, {run.api_calls} calls, {run.cached_items} from cache, "
            f"{run.failed_items} failed; judge: {public}, prompt_version={prompt.PROMPT_VERSION}",
            file=sys.stderr,
        )
        _judged[fingerprint] = run.annotate(records)
    return _judged[fingerprint]


def _aggregation(metric: metrics.MetricFn) -> Callable[[list[Record]], float]:
    def aggregate(records: list[Record]) -> float:
        return metric(judged(records), {})

    return aggregate


def aggregation_functions() -> dict[str, Callable[[list[Record]], float]]:
    """``judge_aggregate_<metric>`` for every metric of both LLM-judge tasks."""
    table = {**metrics.llm_task_metrics("image"), **metrics.llm_task_metrics("text")}
    return {f"judge_aggregate_{name}": _aggregation(fn) for name, fn in table.items()}
