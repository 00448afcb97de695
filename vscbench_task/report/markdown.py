"""Report blocks as GitHub-flavoured Markdown, figures linked as files beside ``report.md``."""

from __future__ import annotations

from collections.abc import Sequence

from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table


def _cell(text: str) -> str:
    """A table cell: pipes escaped and line breaks flattened, so a model name cannot break the table."""
    return text.replace("|", "\\|").replace("\n", " ")


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
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(f"![{block.caption}]({block.file})")
    return "\n\n".join(parts) + "\n"
