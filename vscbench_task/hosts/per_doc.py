"""Scoring for hosts that judge one doc at a time and aggregate per metric (lmms-eval, lm-evaluation-harness).

Such a host calls ``process_results`` per doc and then one aggregation function per metric, each with the
list of every doc's record. The keyword judge is offline and instant, so each doc is judged as it comes
and its record is the verdict, not the response (which the host logs anyway): a few bytes per metric.
The aggregations rebuild the judgements and compute every metric of the task through the scoring core on
the first call for a set of records, and serve the others from memory (``metrics_once``, which the
LLM-judge tasks' aggregations share).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any

from vscbench_task.judges import keyword as keyword_judge
from vscbench_task.judges.base import Judgement
from vscbench_task.scoring.metric_specs import judge_metrics
from vscbench_task.scoring.records import make_response
from vscbench_task.scoring.score import compute, judge_input, scored_from

Record = dict[str, Any]  # what process_results returns under each metric name

_computed: dict[str, dict[str, float]] = {}  # identity of a task's records and judge -> all its metrics


def metrics_once(identity: object, compute_all: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Every metric of a task for one set of records and judge: computed by ``compute_all`` on the first
    call for ``identity`` (any JSON value naming the records and the judge), then served from memory. A host
    calls one aggregation per metric with the same records; this makes that one computation."""
    fingerprint = hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()
    if fingerprint not in _computed:
        _computed[fingerprint] = compute_all()
    return _computed[fingerprint]


def keyword_record(doc_key: str, response: object, *, where: str) -> tuple[str, Record]:
    """The part of the doc and its record: the id, whether the response was empty, the keyword verdict."""
    checked = make_response(doc_key, response, where=where)
    judgement = keyword_judge.judgement(judge_input(checked))
    record = {
        "doc_key": checked.doc_key,
        "empty_response": checked.empty,
        "keyword_judge": judgement.recognised["keyword"],
    }
    return checked.item.part, record


def keyword_metric_names(part: str) -> tuple[str, ...]:
    """The metrics a keyword-judged task of ``part`` reports (its ``process_results`` keys)."""
    return tuple(spec.name for spec in judge_metrics(part, "keyword"))


def aggregate_keyword(metric: str, records: list[Record]) -> float:
    """One metric from every doc's record; all metrics of the records' part are computed on the first
    call for a set of records and served from memory for the others."""
    if not records:
        return math.nan

    def compute_all() -> dict[str, float]:
        judgements = [Judgement(r["doc_key"], {"keyword": r["keyword_judge"]}) for r in records]
        empty = [r["doc_key"] for r in records if r["empty_response"]]
        scored = scored_from(judgements, empty, "keyword", source="the aggregated records")
        return compute(judge_metrics(scored.items[0].part, "keyword"), scored)

    identity = ["keyword", sorted((r["doc_key"], r["keyword_judge"], r["empty_response"]) for r in records)]
    return metrics_once(identity, compute_all)[metric]
