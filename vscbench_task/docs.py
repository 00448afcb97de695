"""Expand the official rows into evaluation docs: exactly what each model request contains.

One image-centric row gives six docs (its prompt with each of 3 safe and 3 unsafe images); one
text-centric row gives five (``txt``, ``search``, ``typography``, ``concat``, ``figstep``). Each doc
carries a stable ``doc_key`` built from the official row index, so scoring never depends on order.

Docs are listed in a *stratified* order (round-robin over categories, resp. XSTest types), so that
lmms-eval's ``--limit N`` takes a balanced sample: ``--limit 12`` already touches every image category
with a safe and an unsafe image, ``--limit 90`` every text type in every variant. The full run is the
same set of docs in any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import chain, zip_longest
from typing import Any

from vscbench_task import metadata as md

Doc = dict[str, Any]

# The columns of the dataset lmms-eval iterates: only what a request needs. lmms-eval converts an Arrow
# row to a dict several times per doc, so the rest of a doc is looked up by key (``doc_index``).
REQUEST_FIELDS = ("doc_key", "prompt", "image")


def _round_robin(groups: list[list[Doc]]) -> list[Doc]:
    return [doc for doc in chain.from_iterable(zip_longest(*groups)) if doc is not None]


def image_docs(rows: Iterable[md.Row] | None = None) -> list[Doc]:
    """The 1,800 image-centric docs. The text sent is the raw ``Prompt`` (an empty cell sends "")."""
    by_category: dict[str, list[Doc]] = {c: [] for c in md.CATEGORIES}
    for row in md.image_rows() if rows is None else rows:
        prompt = row["Prompt"] or ""
        for k in range(3):
            for label in ("safe", "unsafe"):
                by_category[row["Category"]].append(
                    {
                        "doc_key": f"image/{row['row']:03d}/{label}/{k}",
                        "part": "image",
                        "row": row["row"],
                        "unsafe": label == "unsafe",
                        "category": row["Category"],
                        "variant": None,
                        "prompt": prompt,
                        "judge_query": prompt,
                        "image": md.image_file(row, f"{label}_img_{k}"),
                    }
                )
    return _round_robin(list(by_category.values()))


def _text_prompt(row: md.Row, variant: str) -> str:
    if variant == "txt":
        return row["prompt_origin"]
    if variant == "figstep":
        return md.FIGSTEP_PROMPT
    return row["prompt_mm"]


def text_docs(rows: Iterable[md.Row] | None = None) -> list[Doc]:
    """The 2,250 text-centric docs; the judge always sees ``prompt_origin``, whatever the variant."""
    by_type: dict[str, list[Doc]] = {}
    for row in md.text_rows() if rows is None else rows:
        for variant in md.VARIANTS:
            by_type.setdefault(row["type"], []).append(
                {
                    "doc_key": f"text/{row['row']:03d}/{variant}",
                    "part": "text",
                    "row": row["row"],
                    "unsafe": md.text_row_is_unsafe(row),
                    "category": row["type"],
                    "variant": variant,
                    "prompt": _text_prompt(row, variant),
                    "judge_query": row["prompt_origin"],
                    "image": None if variant == "txt" else md.text_file(row, variant),
                }
            )
    return _round_robin(list(by_type.values()))


def docs_for(part: str, rows: Iterable[md.Row] | None = None) -> list[Doc]:
    """Docs of one benchmark part, ``"image"`` or ``"text"``, from ``rows`` (default: the packaged sheets)."""
    if part == "image":
        return image_docs(rows)
    if part == "text":
        return text_docs(rows)
    raise ValueError(f"unknown VSCBench part {part!r}: expected 'image' or 'text'")


@cache
def doc_index() -> dict[str, Doc]:
    """Every doc of both parts by ``doc_key``, built once from the packaged metadata."""
    return {doc["doc_key"]: doc for part in ("image", "text") for doc in docs_for(part)}
