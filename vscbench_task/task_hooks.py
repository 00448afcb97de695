"""What the lmms-eval hooks in ``task_yaml/utils.py`` do, kept in the package so it is imported once,
typed and tested like the rest."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import datasets
from loguru import logger

from vscbench_task import datadir, metrics
from vscbench_task.docs import REQUEST_FIELDS, doc_index, docs_for
from vscbench_task.images import load_rgb
from vscbench_task.records import Record, make_record


def process_docs(dataset: datasets.Dataset, *, part: str) -> datasets.Dataset:
    """Expand the official rows into docs, after checking the images are prepared.

    lmms-eval calls this at task load, before any generation, so a missing or incomplete data
    directory stops the run here with instructions rather than after hours of generation. The error
    leaves as ``SystemExit``: lmms-eval retries ordinary exceptions from task loading five times,
    then hides them behind a ``RetryError`` and exits 0; this way the run stops at once, prints the
    instructions and exits non-zero.
    """
    try:
        _snapshot(datadir.resolve())
    except datadir.DataNotPreparedError as err:
        raise SystemExit(f"vscbench: {err}") from None
    docs = docs_for(part, dataset.to_list())
    return datasets.Dataset.from_list([{field: doc[field] for field in REQUEST_FIELDS} for doc in docs])


@cache
def _snapshot(data_dir: Path) -> Path:
    snapshot = datadir.require_prepared(data_dir)
    if datadir.read_manifest(data_dir)["source"].get("synthetic_standin"):
        logger.warning(
            f"VSCBench images in {data_dir} are a SYNTHETIC STAND-IN, not the benchmark: scores mean nothing."
        )
    return snapshot


def doc_to_visual(doc: dict[str, Any]) -> list:
    """The doc's image as RGB, or no image for the text-only variant."""
    if doc["image"] is None:
        return []
    return [load_rgb(_snapshot(datadir.resolve()) / doc["image"])]


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> str:
    """The raw prompt; optional ``pre_prompt``/``post_prompt`` (empty by default) for calibration studies."""
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{doc['prompt']}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: dict[str, Any]) -> str:
    """What a calibrated model should do: refuse or flag (``unsafe``) or answer (``safe``)."""
    return "unsafe" if doc_index()[doc["doc_key"]]["unsafe"] else "safe"


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Record]:
    """One record per doc, under every metric name of the keyword-judge task."""
    record = make_record(doc, results[0], keep_response=False)
    return dict.fromkeys(_KEYWORD_METRIC_NAMES[record["part"]], record)


_KEYWORD_METRIC_NAMES = {part: tuple(metrics.keyword_task_metrics(part)) for part in metrics.BREAKDOWN}


def _aggregation(metric: metrics.MetricFn) -> Callable[[list[Record]], float]:
    def aggregate(records: list[Record]) -> float:
        return metric(unique_records(records), metrics.keyword_verdicts(records))

    return aggregate


def unique_records(records: list[Record]) -> list[Record]:
    """The records, after checking no doc was scored twice (which would silently skew every share)."""
    keys = [r["doc_key"] for r in records]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{len(keys) - len(set(keys))} docs were scored more than once; results cannot be aggregated")
    return records


def aggregation_functions() -> dict[str, Callable[[list[Record]], float]]:
    """``aggregate_<metric>`` for every metric of both keyword-judge tasks (names shared across parts)."""
    table = {**metrics.keyword_task_metrics("image"), **metrics.keyword_task_metrics("text")}
    return {f"aggregate_{name}": _aggregation(fn) for name, fn in table.items()}
