"""Report blocks as GitHub-flavoured Markdown, figures linked as files beside ``report.md``.

Text from a run (model names, paths) is not trusted: every piece of text has its control characters
(line breaks, carriage returns) flattened, ``&``, ``<`` and ``>`` written as entities (so no raw HTML,
``<script>`` or ``<img onerror>``, reaches a renderer), and link syntax broken (``](`` cannot start a
link target such as ``javascript:``); table cells also escape ``|``.
"""

from __future__ import annotations

from collections.abc import Sequence

from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table, flat


def text(raw: str) -> str:
    """Any text, made inert for Markdown (see the module)."""
    return flat(raw).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("](", "]\\(")


def _cell(raw: str) -> str:
    """A table cell: inert text with pipes escaped, so a model name cannot break the table."""
    return text(raw).replace("|", "\\|")


def _table(table: Table) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in table.header) + " |"]
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render(blocks: Sequence[Block]) -> str:
    """The whole report as one Markdown string."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {text(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(text(block.text))
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(f"![{text(block.caption).replace('[', '(').replace(']', ')')}]({block.file})")
    return "\n\n".join(parts) + "\n"
