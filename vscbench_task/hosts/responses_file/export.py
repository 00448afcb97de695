"""``vscbench export``: the benchmark as a plain list of requests, for generators other than lmms-eval.

* ``requests`` (JSON Lines): one line per item: ``doc_key``, ``part``, ``prompt`` (the exact text to send,
  raw), ``image`` (the absolute path of the prepared image, ``null`` for the text-only ``txt`` variant;
  send it before the text) and the generation settings of every host's tasks (``max_tokens``,
  ``temperature``, ``system_prompt``: ``null``, none; ``dataset.generation``). Answer each with the
  model, write ``{"doc_key", "response"}`` lines and score them with ``vscbench rescore --responses``.
* ``vlmevalkit`` (TSV): VLMEvalKit's custom-dataset columns, ``index`` (the ``doc_key``), ``image_path``,
  ``question``, plus ``category`` and ``split`` for reading results, in the benchmark's order; only the
  3,600 items with an image (VLMEvalKit's image datasets need one per row: the 450 text-only ``txt``
  items are answered another way, see the hosts guide). Quoting keeps newlines inside prompts.

``split`` (``calibration.split``) lists one split's items only: a responses file answering exactly them
is a complete run of that split. ``method`` adds a prompt-based calibration method to each request:
``reminder`` sets ``system_prompt`` to the project's reminder; ``fewshot`` adds ``demonstrations``, the
``shots`` prior turns to send before the request (``{"image", "prompt", "answer"}``, images as absolute
paths, ``null`` for text-only), from the calibration split.

The images are those of a prepared data directory (``vscbench prepare``), each checked against the
manifest (size and sha256) as every host's tasks check it before sending: a changed file is refused here,
not handed to another generator.

``--out`` is written whole or not at all, and checked first: never into the data directory (its manifest
or images), never over a special file or a link to one; except ``/dev/stdout``, which is written through as
asked (for a pipe: ``vscbench export --format requests --out /dev/stdout | my-generator``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from tqdm import tqdm

from vscbench_task.calibration import prompting
from vscbench_task.calibration.split import FULL, split_items
from vscbench_task.dataset import datadir, generation
from vscbench_task.dataset.items import PARTS, items
from vscbench_task.errors import VSCBenchError
from vscbench_task.output_files import check_file_target, write_text

FORMATS = ("requests", "vlmevalkit")
STDOUT = Path("/dev/stdout")  # written through, not replaced
METHODS = ("baseline", "reminder", "fewshot")  # the prompt-based methods a request can carry


class ExportError(VSCBenchError):
    """An export that cannot be written as asked."""


def requests(
    data_dir: Path | None = None, split: str = FULL, method: str = "baseline", shots: int = prompting.DEFAULT_SHOTS
) -> list[dict[str, object]]:
    """Every item of both parts in ``split`` as a request, images as absolute paths in the prepared data
    directory, with ``method``'s additions (see the module)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    snapshot, files = datadir.prepared_files(datadir.resolve(data_dir))
    chosen = [item for part in PARTS for item in split_items(part, split)]
    demos = {item.doc_key: prompting.demonstrations(item, shots) for item in chosen} if method == "fewshot" else {}
    images = {item.image for item in chosen} | {d.item.image for found in demos.values() for d in found}
    for relpath in tqdm(sorted(image for image in images if image), desc="check"):
        datadir.read_checked(snapshot, relpath, files[relpath])

    def path(relpath: str | None) -> str | None:
        return None if relpath is None else str(snapshot / relpath)

    rows = []
    for item in chosen:
        row: dict[str, object] = {"doc_key": item.doc_key, "part": item.part, "prompt": item.prompt}
        row |= {"image": path(item.image), **generation.as_request_fields()}
        if method == "reminder":
            row["system_prompt"] = prompting.REMINDER
        if method == "fewshot":
            row["demonstrations"] = [
                {"image": path(d.item.image), "prompt": d.item.prompt, "answer": d.answer} for d in demos[item.doc_key]
            ]
        rows.append(row)
    return rows


def vlmevalkit_tsv(rows: list[dict[str, object]]) -> str:
    """The requests as VLMEvalKit's custom-dataset TSV (see the module)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(["index", "image_path", "question", "category", "split"])
    index = {item.doc_key: item for part in PARTS for item in items(part)}
    for row in rows:
        if row["image"] is not None:
            item = index[str(row["doc_key"])]
            writer.writerow([row["doc_key"], row["image"], row["prompt"], item.category, item.part])
    return buffer.getvalue()


def export(
    out: Path, fmt: str, data_dir: Path | None = None, *, split: str = FULL, method: str = "baseline", shots: int = 4
) -> int:
    """Write the benchmark (``split``, with ``method``) to ``out`` in ``fmt``; returns the number of items written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt == "vlmevalkit" and method != "baseline":
        raise ExportError(
            "--method needs --format requests: a VLMEvalKit custom dataset has one question per row, no system "
            "prompt or prior turns"
        )
    if out != STDOUT:
        check_file_target(out, "--out", *datadir.kept_paths(datadir.resolve(data_dir)))
    rows = requests(data_dir, split, method, shots)
    if fmt == "requests":
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        text = vlmevalkit_tsv(rows)
        rows = [row for row in rows if row["image"] is not None]
    if out == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_text(out, text)
    return len(rows)
