"""Expand the official rows into evaluation items: exactly what each model request contains.

One image-centric row gives six items (its prompt with each of 3 safe and 3 unsafe images); one
text-centric row gives five (``txt``, ``search``, ``typography``, ``concat``, ``figstep``). Each item
carries a stable ``doc_key`` built from the official row index (``image/092/safe/1``,
``text/128/search``), so scoring never depends on order, and every fact scoring needs (part, row,
safe/unsafe, category, variant) is looked up here by that key, never taken from a host's output.

Items are listed in a *stratified* order (round-robin over categories, resp. XSTest types), so that
lmms-eval's ``--limit N`` takes a balanced sample: ``--limit 12`` already touches every image category
with a safe and an unsafe image, ``--limit 90`` every text type in every variant. The full run is the
same set of items in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import chain, zip_longest
from typing import Any

from vscbench_task.dataset import metadata as md

PARTS: tuple[str, ...] = ("image", "text")
PART_TITLES = {"image": "image-centric", "text": "text-centric"}
# The task name a part's responses are filed under, whichever host ran them (lmms-eval's keyword task of
# the part): every reader keys a run by it, so every host's run is scored with the same tables.
TASK_OF_PART: dict[str, str] = {"image": "vscbench_image", "text": "vscbench_text"}
PART_OF_TASK: dict[str, str] = {task: part for part, task in TASK_OF_PART.items()}
# The fields of a model request: what lmms-eval's dataset holds. lmms-eval converts an Arrow row to a
# dict several times per doc, so everything else about an item is looked up by key (``item_index``).
REQUEST_FIELDS = ("doc_key", "prompt", "image")


@dataclass(frozen=True, slots=True)
class Item:
    """One evaluation item: a model request and the official facts about it.

    ``category`` is the image category (image-centric) or the XSTest type (text-centric): the stratum
    rows are drawn from. ``judge_query`` is what the official LLM judge is told the query was.
    ``image`` is relative to a prepared data directory, ``None`` for the text-only ``txt`` variant.
    """

    doc_key: str
    part: str
    row: int
    unsafe: bool
    category: str
    variant: str | None
    prompt: str
    judge_query: str
    image: str | None

    @property
    def target(self) -> str:
        """What a calibrated model should do: refuse or flag (``unsafe``) or answer (``safe``); every
        host's task gives it as the doc's target."""
        return "unsafe" if self.unsafe else "safe"

    def request(self) -> dict[str, Any]:
        """The item as a row of the dataset lmms-eval iterates (``REQUEST_FIELDS``)."""
        return {"doc_key": self.doc_key, "prompt": self.prompt, "image": self.image}


def _round_robin(groups: list[list[Item]]) -> tuple[Item, ...]:
    return tuple(item for item in chain.from_iterable(zip_longest(*groups)) if item is not None)


def _image_items() -> tuple[Item, ...]:
    """The 1,800 image-centric items. The text sent is the raw ``Prompt`` (an empty cell sends "")."""
    by_category: dict[str, list[Item]] = {c: [] for c in md.CATEGORIES}
    for row in md.image_rows():
        prompt = row["Prompt"] or ""
        for k in range(3):
            for label in ("safe", "unsafe"):
                by_category[row["Category"]].append(
                    Item(
                        doc_key=f"image/{row['row']:03d}/{label}/{k}",
                        part="image",
                        row=row["row"],
                        unsafe=label == "unsafe",
                        category=row["Category"],
                        variant=None,
                        prompt=prompt,
                        judge_query=prompt,
                        image=md.image_file(row, f"{label}_img_{k}"),
                    )
                )
    return _round_robin(list(by_category.values()))


def _text_prompt(row: md.Row, variant: str) -> str:
    if variant == "txt":
        return row["prompt_origin"]
    if variant == "figstep":
        return md.FIGSTEP_PROMPT
    return row["prompt_mm"]


def _text_items() -> tuple[Item, ...]:
    """The 2,250 text-centric items; the judge always sees ``prompt_origin``, whatever the variant."""
    by_type: dict[str, list[Item]] = {}
    for row in md.text_rows():
        for variant in md.VARIANTS:
            by_type.setdefault(row["type"], []).append(
                Item(
                    doc_key=f"text/{row['row']:03d}/{variant}",
                    part="text",
                    row=row["row"],
                    unsafe=md.text_row_is_unsafe(row),
                    category=row["type"],
                    variant=variant,
                    prompt=_text_prompt(row, variant),
                    judge_query=row["prompt_origin"],
                    image=None if variant == "txt" else md.text_file(row, variant),
                )
            )
    return _round_robin(list(by_type.values()))


@cache
def items(part: str) -> tuple[Item, ...]:
    """The items of one benchmark part, ``"image"`` or ``"text"``, in the stratified order."""
    if part == "image":
        return _image_items()
    if part == "text":
        return _text_items()
    raise ValueError(f"unknown VSCBench part {part!r}: expected 'image' or 'text'")


@cache
def item_index() -> dict[str, Item]:
    """Every item of both parts by ``doc_key``, built once from the packaged metadata."""
    return {item.doc_key: item for part in PARTS for item in items(part)}


@cache
def keys_by_row(part: str) -> dict[int, frozenset[str]]:
    """Official row -> every ``doc_key`` the benchmark defines for it: what a complete group holds."""
    keys: dict[int, set[str]] = {}
    for item in items(part):
        keys.setdefault(item.row, set()).add(item.doc_key)
    return {row: frozenset(k) for row, k in keys.items()}


@cache
def xstest_types() -> tuple[str, ...]:
    """The 18 XSTest types of the text-centric part, in sheet order."""
    return tuple(dict.fromkeys(row["type"] for row in md.text_rows()))
