"""Text from outside (model names, paths, responses) made inert for the files the package writes.

A run's files are not trusted, and what they name ends up in Markdown, HTML, plots and logs. Here, once,
for every writer: ``flat`` turns control characters (line breaks, carriage returns) into spaces;
``markdown`` also writes ``&``, ``<`` and ``>`` as entities (so no raw HTML, ``<script>`` or
``<img onerror>``, reaches a renderer) and breaks link syntax (``](`` cannot start a link target such as
``javascript:``); ``markdown_table`` escapes ``|`` in every cell as well, so a name cannot break a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def flat(text: str) -> str:
    """Text with its control characters (line breaks, carriage returns) turned into spaces."""
    return _CONTROL.sub(" ", text)


def markdown(raw: str) -> str:
    """Any text, made inert for Markdown (see the module)."""
    return flat(raw).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("](", "]\\(")


def markdown_cell(raw: object) -> str:
    """A table cell: inert text with pipes escaped."""
    return markdown(str(raw)).replace("|", "\\|")


def markdown_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table, one line per list entry, every cell inert."""
    lines = ["| " + " | ".join(map(markdown_cell, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(map(markdown_cell, row)) + " |" for row in rows]
