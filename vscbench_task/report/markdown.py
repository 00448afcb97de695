"""Report blocks as GitHub-flavoured Markdown, figures linked as files beside ``report.md``.

Text from a run (model names, paths) is not trusted: every piece of text and every table cell is made
inert by ``vscbench_task.inert``.
"""

from __future__ import annotations

from collections.abc import Sequence

from vscbench_task.inert import markdown as text
from vscbench_task.inert import markdown_table
from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table


def render(blocks: Sequence[Block]) -> str:
    """The whole report as one Markdown string."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {text(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(text(block.text))
        elif isinstance(block, Table):
            parts.append("\n".join(markdown_table(block.header, block.rows)))
        elif isinstance(block, Figure):
            parts.append(f"![{text(block.caption).replace('[', '(').replace(']', ')')}]({block.file})")
    return "\n\n".join(parts) + "\n"
