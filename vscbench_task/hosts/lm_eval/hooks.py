"""lm-evaluation-harness hooks of the VSCBench tasks (``lm_eval --include_path "$(vscbench lm-eval-tasks-dir)"``).

The same requests as the lmms-eval tasks (the raw prompt, one image, no system prompt), the same greedy
generation settings and the same scoring core; what lm-eval needs differently:

* the dataset comes from a ``custom_dataset`` function (lm-eval does not resolve a relative
  ``data_files`` against the YAML), which also checks the images are prepared before any generation;
* ``doc_to_text`` puts lm-eval's ``<image>`` marker before the prompt (the chat template then sends the
  image first, as lmms-eval's chat backends do);
* lm-eval builds every request up front, so ``doc_to_image`` hands over images that decode when the
  model's processor reads them (RGB files; other modes are converted at once, by value), after checking
  the file's bytes against the manifest;
* the text part is two tasks, ``vscbench_text_txt`` (no image) and ``vscbench_text_images`` (the four
  image variants): lm-eval's multimodal backends cannot mix image-less docs into an image task, so the
  text part's figures over all five variants come from ``vscbench rescore`` on both runs' samples.
"""

from __future__ import annotations

import io
from typing import Any

import datasets
from PIL import Image

from vscbench_task.dataset.images import ImageRejected, rgb_from_bytes
from vscbench_task.dataset.items import item_index
from vscbench_task.hosts.lm_eval.task_table import LM_EVAL_TASKS, task_items, task_metrics, task_of
from vscbench_task.hosts.per_doc import Record, keyword_record
from vscbench_task.hosts.prepared import checked_image, require_prepared_or_exit

IMAGE_MARKER = "<image>"


def _dataset(task: str) -> datasets.DatasetDict:
    if LM_EVAL_TASKS[task].has_images:
        require_prepared_or_exit()
    rows = [item.request() for item in task_items(task)]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def image_dataset(**_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` of ``vscbench_image`` (lm-eval passes model and metadata arguments: ignored)."""
    return _dataset("vscbench_image")


def text_txt_dataset(**_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` of ``vscbench_text_txt``."""
    return _dataset("vscbench_text_txt")


def text_images_dataset(**_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` of ``vscbench_text_images``."""
    return _dataset("vscbench_text_images")


def image_eval_dataset(**_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` of ``vscbench_image_eval`` and ``vscbench_image_reminder``: the evaluation split."""
    return _dataset("vscbench_image_eval")


def text_txt_eval_dataset(**_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` of ``vscbench_text_txt_eval`` and ``vscbench_text_txt_reminder``."""
    return _dataset("vscbench_text_txt_eval")


def text_images_eval_dataset(**_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` of ``vscbench_text_images_eval`` and ``vscbench_text_images_reminder``."""
    return _dataset("vscbench_text_images_eval")


def doc_to_text(doc: dict[str, Any]) -> str:
    """The raw prompt, after the image marker when the doc has an image."""
    item = item_index()[doc["doc_key"]]
    return item.prompt if item.image is None else IMAGE_MARKER + item.prompt


def doc_to_image(doc: dict[str, Any]) -> list[Image.Image]:
    """The doc's image, its bytes checked against the manifest; decoded lazily when it is plain RGB."""
    relpath = item_index()[doc["doc_key"]].image
    if relpath is None:
        return []
    data, name = checked_image(relpath)
    try:
        image = Image.open(io.BytesIO(data))
        return [image if image.mode == "RGB" else rgb_from_bytes(data, name=name)]
    except ImageRejected as err:
        raise SystemExit(f"vscbench: {err}") from None


def doc_to_target(doc: dict[str, Any]) -> str:
    """What a calibrated model should do: refuse or flag (``unsafe``) or answer (``safe``)."""
    return item_index()[doc["doc_key"]].target


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Record]:
    """The doc's keyword judgement under every metric name of its task (see ``scoring.per_doc``)."""
    _, record = keyword_record(doc["doc_key"], results[0], where="lm-eval process_results")
    return dict.fromkeys((spec.name for spec in task_metrics(task_of(item_index()[doc["doc_key"]]))), record)
