"""Report blocks as one self-contained HTML file: figures inlined as base64 PNG, style inline.

One file that can be mailed or attached to an issue and still shows everything.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; }
td:nth-child(-n+3) { text-align: left; }
figure { margin: 1.5em 0; }
img { max-width: 100%; }
"""


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(figure: Figure, base: Path) -> str:
    data = base64.b64encode((base / figure.file).read_bytes()).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure><img alt="{caption}" src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
    )


def render(blocks: Sequence[Block], base: Path) -> str:
    """The whole report as one HTML page; figure files are read from ``base`` and embedded."""
    title = next((b.text for b in blocks if isinstance(b, Heading)), "VSCBench report")
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Table):
            body.append(_table(block))
        elif isinstance(block, Figure):
            body.append(_figure(block, base))
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
