"""The fixed calibration split: a small set of rows that methods may learn from, and the evaluation set.

Calibration methods need examples: few-shot demonstrations, and the unsafe and safe inputs whose mean
activation difference is a steering direction. Taken from the docs a method is then scored on, they
would leak the answers, so the benchmark is split once, here, for every method and the baseline alike:

* the **calibration** split holds whole rows: an image-centric prompt with all six images, a
  text-centric query with all five variants; ``ROWS_PER_STRATUM`` rows of every image category and of
  every XSTest type (so every category and type is represented, and the image part is balanced safe /
  unsafe by construction);
* the **evaluation** split is everything else; the ``*_eval`` tasks and every method task score it, so
  a method and the baseline are compared on the same docs.

*Nothing leaks through look-alikes.* Rows are first grouped: two rows are in one group when their
normalised prompt texts are equal (``normalised``: Unicode NFKC, case-folded, whitespace collapsed;
image ``Prompt``; text ``prompt_origin``, ``prompt_mm`` and the FigStep image's ``prompt_figstep``) or
when they reference the same image file. 35 image prompt texts repeat over up to 5 rows; one text-centric
search image (``d_189_4.png``) serves rows 128 and 189. Images are compared by their **file names** in
the packaged metadata, not by their bytes' sha256: the images are not shipped with the package (the
build machine never saw them), so byte-identical files under different names cannot be detected here.
To be safe against exactly that, a text row whose search image is named for another row
(``d_<row>_<k>.png``: rows 128, 190 and 439 point at rows 189, 191 and 438) is grouped with that row.
Only rows alone in their group are eligible for calibration, so no calibration row shares a prompt or an
image with any evaluation row; and rows with an empty prompt (image rows 266 and 285) are never eligible.

*Which rows.* Within each stratum the eligible rows are ordered by the sha256 of
``f"{SALT}:{part}:{row}"`` and the first ``ROWS_PER_STRATUM[part]`` are taken: a fixed, documented,
seed-free choice that any reimplementation reproduces. ``SALT`` names the split's version; changing it
or the counts makes a new split, and runs record which one they used (``SPLIT_VERSION``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import PARTS, Item, items

SPLIT_VERSION = "v1"
SALT = f"vscbench-calibration-split-{SPLIT_VERSION}"
ROWS_PER_STRATUM = {"image": 2, "text": 2}
FULL, EVALUATION, CALIBRATION = "full", "evaluation", "calibration"
SPLITS: tuple[str, ...] = (FULL, EVALUATION, CALIBRATION)
# The text fields of a row that are prompts (what a model reads, or what an image shows as text).
PROMPT_FIELDS = {"image": ("Prompt",), "text": ("prompt_origin", "prompt_mm", "prompt_figstep")}
_SEARCH_NAME = re.compile(r"d_(?P<row>\d+)_\d+\.png")


def normalised(text: str | None) -> str:
    """A prompt as compared for grouping: NFKC, case-folded, runs of whitespace as one space, stripped."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def _image_files(part: str, row: md.Row) -> list[str]:
    if part == "image":
        return [md.image_file(row, f"{kind}_img_{k}") for kind in ("safe", "unsafe") for k in range(3)]
    return [md.text_file(row, variant) for variant in md.IMAGE_VARIANTS]


def _rows(part: str) -> tuple[md.Row, ...]:
    return md.image_rows() if part == "image" else md.text_rows()


def _find(parent: dict[int, int], row: int) -> int:
    while parent[row] != row:
        parent[row] = parent[parent[row]]
        row = parent[row]
    return row


@cache
def groups(part: str) -> dict[int, frozenset[int]]:
    """Official row -> every row of its group (itself included): rows sharing a normalised prompt text
    or an image file name, and text rows whose search image is named for another row (see the module)."""
    rows = _rows(part)
    parent = {row["row"]: row["row"] for row in rows}
    first_with: dict[tuple[str, str], int] = {}

    def join(a: int, b: int) -> None:
        parent[_find(parent, a)] = _find(parent, b)

    for row in rows:
        keys = [("prompt", normalised(row[f])) for f in PROMPT_FIELDS[part] if normalised(row[f])]
        keys += [("image", name) for name in _image_files(part, row)]
        for key in keys:
            join(row["row"], first_with.setdefault(key, row["row"]))
        if part == "text":
            named = _SEARCH_NAME.fullmatch(row["search_img"])
            if named and int(named["row"]) != row["row"] and int(named["row"]) in parent:
                join(row["row"], int(named["row"]))
    members: dict[int, set[int]] = {}
    for row in parent:
        members.setdefault(_find(parent, row), set()).add(row)
    return {row: frozenset(members[_find(parent, row)]) for row in parent}


def _stratum(part: str, row: md.Row) -> str:
    return row["Category"] if part == "image" else row["type"]


def _order(part: str, row: int) -> str:
    return hashlib.sha256(f"{SALT}:{part}:{row}".encode()).hexdigest()


def eligible(part: str, row: md.Row) -> bool:
    """Whether a row may be a calibration row: alone in its group, and with a prompt."""
    prompt = row["Prompt"] if part == "image" else row["prompt_origin"]
    return len(groups(part)[row["row"]]) == 1 and bool(normalised(prompt))


@cache
def calibration_rows(part: str) -> frozenset[int]:
    """The official rows of ``part`` in the calibration split (see the module for how they are chosen)."""
    by_stratum: dict[str, list[int]] = {}
    for row in _rows(part):
        if eligible(part, row):
            by_stratum.setdefault(_stratum(part, row), []).append(row["row"])
    chosen: set[int] = set()
    for stratum, rows in by_stratum.items():
        picked = sorted(rows, key=lambda r: _order(part, r))[: ROWS_PER_STRATUM[part]]
        if len(picked) < ROWS_PER_STRATUM[part]:
            raise AssertionError(f"{part} stratum {stratum!r} has too few eligible rows for the calibration split")
        chosen |= set(picked)
    return frozenset(chosen)


def split_of_item(item: Item) -> str:
    """``calibration`` or ``evaluation``: the split an item belongs to."""
    return CALIBRATION if item.row in calibration_rows(item.part) else EVALUATION


@cache
def split_items(part: str, split: str) -> tuple[Item, ...]:
    """The items of ``part`` in ``split`` (``full``: every item), in the benchmark's stratified order, so
    lmms-eval's ``--limit N`` still takes a balanced sample of the split."""
    if split == FULL:
        return items(part)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    return tuple(item for item in items(part) if split_of_item(item) == split)


def split_covered(part: str, keys: Iterable[str]) -> str | None:
    """The split whose items of ``part`` are exactly ``keys`` (``full`` before the others), or ``None``
    when they are no split's: a run is complete when it covers its split."""
    wanted = frozenset(keys)
    for split in SPLITS:
        if wanted == frozenset(item.doc_key for item in split_items(part, split)):
            return split
    return None


def split_sizes() -> dict[str, dict[str, int]]:
    """Part -> split -> number of items: what the docs and task files state."""
    return {part: {split: len(split_items(part, split)) for split in SPLITS} for part in PARTS}
