"""Convert the authors' metadata sheets into the JSON Lines files shipped in the package.

Run once when the official sheets change::

    python scripts/convert_metadata.py ../shared/data vscbench_task/data

Each sheet row becomes one JSON object, keyed by the sheet's own column names, with the 0-based
official row order kept as ``row`` (the id every other part of the package uses). Cell values are
copied verbatim: stray whitespace, typos and empty cells (``null``) are part of the official data.
JSON Lines keeps the data reviewable in a diff; the sheets are not needed at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import openpyxl

SHEETS = {
    "vscbench_image_centric.xlsx": "image_centric.jsonl",
    "vscbench_text_centric.xlsx": "text_centric.jsonl",
}


def sheet_rows(path: Path) -> list[dict]:
    """Read the first sheet of ``path`` into dicts; trailing unnamed columns are dropped."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header, *body = sheet.iter_rows(values_only=True)
    named = [(i, name) for i, name in enumerate(header) if name is not None]
    return [{"row": n, **{name: values[i] for i, name in named}} for n, values in enumerate(body)]


def main(src: str, dst: str) -> None:
    for sheet, out in SHEETS.items():
        rows = sheet_rows(Path(src) / sheet)
        with open(Path(dst) / out, "w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{sheet}: {len(rows)} rows -> {Path(dst) / out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
