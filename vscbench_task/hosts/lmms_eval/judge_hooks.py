"""lmms-eval hooks of the LLM-judge tasks ``vscbench_image_judge`` / ``vscbench_text_judge``.

Docs, prompts and images are those of the keyword tasks (``hooks``); what differs:

* ``process_docs`` first checks the judge works (settings, then one small real call), so a missing key
  or an unreachable endpoint stops the run at task load, before any generation, naming the setting. Like
  the data check it leaves as ``SystemExit``: lmms-eval retries ordinary exceptions from task loading
  five times and then hides the message behind a ``RetryError``.
* ``process_results`` only records the response; no judge call runs per doc (lmms-eval would run them
  one at a time in its 4-thread pool).
* The first aggregation of a task judges all its records at once through the scoring core (cache first,
  then ``concurrency`` calls in flight) and keeps every metric; the task's other aggregations reuse
  them.
* A judge that stops working (``JudgeFailed``: a rejected key, an exhausted quota, failures or replies
  without a class past their budgets) yields no figure: every metric of the task is NaN, the error is
  printed, and the process exits 1 once lmms-eval has written its files, so the samples (the model's
  responses, hours of generation) are kept for ``vscbench rescore`` and the run is still reported
  failed. Raising instead would make lmms-eval drop the samples and exit 0.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import math
import os
import sys
from typing import Any

import datasets
from tqdm import tqdm

from vscbench_task.calibration.split import FULL
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.lmms_eval import hooks
from vscbench_task.hosts.per_doc import Record, metrics_once
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.client import preflight
from vscbench_task.judges.llm.judge import LLMJudge
from vscbench_task.judges.llm.settings import JudgeNotConfigured, JudgeSettings, from_env
from vscbench_task.scoring.metric_specs import judge_metrics
from vscbench_task.scoring.records import Response, check_keys, make_response
from vscbench_task.scoring.score import compute, judge_responses

_failures: list[str] = []  # why a judging failed in this process: it must end non-zero


def _exit_nonzero_after_a_failed_judging() -> None:
    """At exit, after lmms-eval wrote its files: repeat why the judging failed and end with status 1
    (``os._exit``: an exit handler cannot change the status otherwise, and lmms-eval would end with 0)."""
    if _failures:
        print(f"vscbench: {_failures[-1]}", file=sys.stderr)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


def process_docs(dataset: datasets.Dataset, *, part: str, split: str = FULL) -> datasets.Dataset:
    """Check the judge, then build the docs exactly as the keyword task does."""
    try:
        preflight()
    except JudgeNotConfigured as err:
        raise SystemExit(f"vscbench: {err}") from None
    return hooks.process_docs(dataset, part=part, split=split)


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Record]:
    """One record per doc under every metric name of the task; only the first carries the response.

    lmms-eval logs each metric's value separately, so a response kept under all ~40 metric names would
    be written ~40 times per doc. The first metric's record (``sra_u_llm_judge``) carries it; the others
    carry its hash. lmms-eval 0.7.3 aggregates metrics in the order ``process_results`` returns them, so
    the carrier's aggregation judges every record first and the others find the metrics by hash.
    """
    response = make_response(doc["doc_key"], results[0], where="lmms-eval process_results")
    text = response.response or ""
    record = {"doc_key": response.doc_key, "response": text}
    slim = {"doc_key": response.doc_key, "response_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    carrier, *others = (spec.name for spec in judge_metrics(response.item.part, "llm"))
    return {carrier: record, **dict.fromkeys(others, slim)}


def aggregate(metric: str, records: list[Record]) -> float:
    """One metric of an LLM-judge task; the records are judged once per distinct set and judge.

    Records carrying the response are judged (cache first); records carrying only the response hash are
    served from that judging, or refused with instructions if it has not happened yet. The identity of a
    judging is the records' responses and the judge (model, endpoint, prompt, request), so a process that judges
    the same responses again with another judge does not reuse stale metrics.
    """
    if not records:
        return math.nan
    check_keys([r["doc_key"] for r in records], source="lmms-eval aggregation")
    settings = from_env()
    responses = sorted(
        (r["doc_key"], r.get("response_sha256") or hashlib.sha256(r["response"].encode("utf-8")).hexdigest())
        for r in records
    )
    identity = [["llm", settings.model, settings.url, prompt.PROMPT_VERSION, settings.request()], responses]
    return metrics_once(identity, lambda: _judge_all(records, settings))[metric]


def _judge_all(records: list[Record], settings: JudgeSettings) -> dict[str, float]:
    """Every metric of the task from the records carrying the responses (NaN for all if the judge failed)."""
    if not all("response" in r for r in records):
        # An exception here aborts lmms-eval before it writes results or samples, so say how to redo it.
        raise RuntimeError(
            "vscbench: LLM-judge metrics were aggregated before the records carrying the responses "
            "(this lmms-eval version changed its aggregation order); lmms-eval writes no results or "
            "samples for this run. Re-run with `--use_cache DIR` so the model's generations are reused, "
            "or with `--predict_only --log_samples` and then `vscbench rescore OUTPUT_DIR --judge llm`."
        )
    responses = [Response(r["doc_key"], r["response"]) for r in records]
    specs = judge_metrics(responses[0].item.part, "llm")
    try:
        scored = judge_responses(responses, LLMJudge(settings), source="lmms-eval aggregation")
    except VSCBenchError as err:
        _failed(
            f"{err} Every metric of this task is NaN; lmms-eval still writes the run's samples, and once "
            "the judge works `vscbench rescore OUTPUT_DIR --judge llm` scores them."
        )
        return dict.fromkeys((spec.name for spec in specs), math.nan)
    stats = scored.judged.stats
    public = ", ".join(f"{k}={v}" for k, v in settings.public().items())
    tqdm.write(
        f"VSCBench LLM judge: {len(records)} docs, {stats['api_calls']} calls, {stats['cached_items']} from "
        f"cache, {stats['failed_calls']} failed, {stats['unparseable']} unparseable (no class, official reading); "
        f"judge: {public}, prompt_version={prompt.PROMPT_VERSION}",
        file=sys.stderr,
    )
    return compute(specs, scored)


def _failed(message: str) -> None:
    if not _failures:
        atexit.register(_exit_nonzero_after_a_failed_judging)
    _failures.append(message)
    tqdm.write(f"vscbench: ERROR: {message}", file=sys.stderr)
