"""lmms-eval hooks of the keyword-judge tasks ``vscbench_image`` / ``vscbench_text``.

The task folder's ``utils.py`` forwards to these, and the task YAMLs name the aggregation functions of
``vscbench_task.lmms.aggregations``, which call ``aggregate`` below. ``process_results`` judges each doc
with the official keyword judge as it is generated (offline, instant) and logs only the verdict; the
aggregations turn the gathered judgements into the metrics through the scoring core, once per task.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import datasets
from loguru import logger

from vscbench_task.dataset import datadir
from vscbench_task.dataset.images import ImageRejected, rgb_from_bytes
from vscbench_task.dataset.items import item_index, items
from vscbench_task.scoring import keyword_judge
from vscbench_task.scoring.judgements import Judgement
from vscbench_task.scoring.metric_specs import judge_metrics
from vscbench_task.scoring.records import make_response
from vscbench_task.scoring.score import compute, judge_input, scored_from

Record = dict[str, Any]  # what process_results logs under each metric name

_values: dict[str, dict[str, float]] = {}  # fingerprint of a task's records -> all its metrics


def process_docs(dataset: datasets.Dataset, *, part: str) -> datasets.Dataset:
    """The part's requests from the packaged metadata, after checking the images are prepared.

    lmms-eval calls this at task load, before any generation, so a missing or incomplete data
    directory stops the run here with instructions rather than after hours of generation. The error
    leaves as ``SystemExit``: lmms-eval retries ordinary exceptions from task loading five times,
    then hides them behind a ``RetryError`` and exits 0; this way the run stops at once, prints the
    instructions and exits non-zero. ``dataset`` (the packaged sheet lmms-eval loaded) only carries
    lmms-eval to this hook: the items come from the package itself.
    """
    try:
        _prepared(datadir.resolve())
    except datadir.DataNotPreparedError as err:
        raise SystemExit(f"vscbench: {err}") from None
    return datasets.Dataset.from_list([item.request() for item in items(part)])


@cache
def _prepared(data_dir: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    snapshot, files = datadir.prepared_files(data_dir)
    if datadir.read_manifest(data_dir)["source"].get("synthetic_standin"):
        logger.warning(
            f"VSCBench images in {data_dir} are a SYNTHETIC STAND-IN, not the benchmark: scores mean nothing."
        )
    return snapshot, files


def doc_to_visual(doc: dict[str, Any]) -> list:
    """The doc's image as RGB, or no image for the text-only variant.

    The file's bytes are checked against the manifest before decoding (``datadir.read_checked``), and
    decoding is strict whatever lmms-eval set: a changed or damaged image stops the run (``SystemExit``,
    naming the file and ``vscbench prepare``) instead of reaching the model.
    """
    image = item_index()[doc["doc_key"]].image
    if image is None:
        return []
    snapshot, files = _prepared(datadir.resolve())
    try:
        data = datadir.read_checked(snapshot, image, files[image])
        return [rgb_from_bytes(data, name=str(snapshot / image))]
    except (datadir.DataNotPreparedError, ImageRejected) as err:
        raise SystemExit(f"vscbench: {err}") from None


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> str:
    """The raw prompt; optional ``pre_prompt``/``post_prompt`` (empty by default) for calibration studies."""
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{item_index()[doc['doc_key']].prompt}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: dict[str, Any]) -> str:
    """What a calibrated model should do: refuse or flag (``unsafe``) or answer (``safe``)."""
    return "unsafe" if item_index()[doc["doc_key"]].unsafe else "safe"


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Record]:
    """The doc's keyword judgement, under every metric name of its task.

    Only the id and two booleans are logged (the response is in lmms-eval's own sample fields already).
    """
    response = make_response(doc["doc_key"], results[0], where="lmms-eval process_results")
    judgement = keyword_judge.judgement(judge_input(response))
    record = {
        "doc_key": response.doc_key,
        "empty_response": response.empty,
        "keyword_judge": judgement.recognised["keyword"],
    }
    return dict.fromkeys((spec.name for spec in judge_metrics(response.item.part, "keyword")), record)


def aggregate(metric: str, records: list[Record]) -> float:
    """One metric of a keyword-judge task from every doc's record; all metrics are computed on the
    first call for a set of records and served from memory for the others."""
    if not records:
        return math.nan
    fingerprint = hashlib.sha256(
        json.dumps(sorted((r["doc_key"], r["keyword_judge"], r["empty_response"]) for r in records)).encode()
    ).hexdigest()
    if fingerprint not in _values:
        judgements = [Judgement(r["doc_key"], {"keyword": r["keyword_judge"]}) for r in records]
        empty = [r["doc_key"] for r in records if r["empty_response"]]
        scored = scored_from(judgements, empty, "keyword", source="lmms-eval aggregation")
        _values[fingerprint] = compute(judge_metrics(scored.items[0].part, "keyword"), scored)
    return _values[fingerprint][metric]
