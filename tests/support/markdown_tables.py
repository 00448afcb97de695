"""Reading the tables of a Markdown report back, for tests that check what it says."""

from __future__ import annotations


def table_under(markdown: str, heading: str) -> list[dict[str, str]]:
    """Rows (header -> cell) of the first table after the heading line starting with ``heading``.

    A ``95% CI`` column is named after the column it belongs to (``SRA_u 95% CI``), as tables hold several.
    """
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and line.lstrip("# ").startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    header, _, *body = rows
    header = [f"{header[i - 1]} {name}" if name == "95% CI" else name for i, name in enumerate(header)]
    return [dict(zip(header, row, strict=True)) for row in body]
