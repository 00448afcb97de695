"""lmms-eval hooks of the keyword-judge tasks ``vscbench_image`` / ``vscbench_text``.

The task folder's ``utils.py`` forwards to these, and the task YAMLs name the aggregation functions of
``vscbench_task.hosts.lmms_eval.aggregations``. ``process_results`` judges each doc with the official keyword judge
as it is generated (offline, instant) and logs only the verdict; the aggregations turn the gathered
judgements into the metrics through the scoring core, once per task (``scoring.per_doc``, shared with
the lm-evaluation-harness tasks).
"""

from __future__ import annotations

from typing import Any

import datasets

from vscbench_task.calibration.split import FULL, split_items
from vscbench_task.dataset.images import ImageRejected, rgb_from_bytes
from vscbench_task.dataset.items import Item, item_index
from vscbench_task.hosts.per_doc import Record, keyword_metric_names, keyword_record
from vscbench_task.hosts.prepared import checked_image, require_prepared_or_exit


def process_docs(dataset: datasets.Dataset, *, part: str, split: str = FULL) -> datasets.Dataset:
    """The requests of the part's ``split`` (``calibration.split``; default every item) from the packaged
    metadata, after checking the images are prepared.

    lmms-eval calls this at task load, before any generation, so a missing or incomplete data
    directory stops the run here with instructions rather than after hours of generation. The error
    leaves as ``SystemExit``: lmms-eval retries ordinary exceptions from task loading five times,
    then hides them behind a ``RetryError`` and exits 0; this way the run stops at once, prints the
    instructions and exits non-zero. ``dataset`` (the packaged sheet lmms-eval loaded) only carries
    lmms-eval to this hook: the items come from the package itself.
    """
    require_prepared_or_exit()
    return datasets.Dataset.from_list([item.request() for item in split_items(part, split)])


def doc_to_visual(doc: dict[str, Any]) -> list:
    """The doc's image as RGB, or no image for the text-only variant.

    The file's bytes are checked against the manifest before decoding (``hosts.prepared``), and decoding
    is strict whatever lmms-eval set: a changed or damaged image stops the run (``SystemExit``, naming the
    file and ``vscbench prepare``) instead of reaching the model.
    """
    return item_images(item_index()[doc["doc_key"]])


def item_images(item: Item) -> list:
    """An item's image as RGB, checked (see ``doc_to_visual``), or no image for the text-only variant."""
    if item.image is None:
        return []
    data, name = checked_image(item.image)
    try:
        return [rgb_from_bytes(data, name=name)]
    except ImageRejected as err:
        raise SystemExit(f"vscbench: {err}") from None


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> str:
    """The raw prompt; optional ``pre_prompt``/``post_prompt`` (empty by default) for calibration studies."""
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{item_index()[doc['doc_key']].prompt}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: dict[str, Any]) -> str:
    """What a calibrated model should do: refuse or flag (``unsafe``) or answer (``safe``)."""
    return item_index()[doc["doc_key"]].target


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Record]:
    """The doc's keyword judgement under every metric name of its task (``scoring.per_doc``): only the
    id and two booleans are logged (the response is in lmms-eval's own sample fields already)."""
    part, record = keyword_record(doc["doc_key"], results[0], where="lmms-eval process_results")
    return dict.fromkeys(keyword_metric_names(part), record)
