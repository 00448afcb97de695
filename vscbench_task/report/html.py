"""The report as one interactive HTML page that works offline: sortable, filterable leaderboard first.

One file (no CDN, no fetch, no library: a few hundred lines of plain JavaScript), so it can be mailed,
attached to an issue or opened from disk (``file://``) and still shows everything:

* the header: title, the judge's identity and its validity line, any partial-run warning;
* the leaderboard, built in the page from the report's data: overall, image-centric or text-centric
  (``Part``), filtered by model name, with the metric columns to show chosen (``Metrics``), sorted by
  any column (click its header, again to reverse);
* the calibration plane per part (SVG): hovering a point shows the model, its figures and intervals;
  clicking it selects the model's row (and a row's click selects its points);
* the breakdowns as heatmaps (HTML tables coloured on viridis, value in every cell) and every other
  table of the Markdown report, rendered here from the same blocks.

Everything from a run (model names, paths) is data, never markup: the page's data is one JSON document
in a ``<script type="application/json">`` element with ``<``, ``>`` and ``&`` written as ``\\u003c``,
``\\u003e``, ``\\u0026`` (and every non-ASCII character, U+2028 and U+2029 included, as an escape), so
no ``</script>`` or ``<!--`` in a name can end or break the script; the script puts names into the page
with ``textContent`` inside ``<bdi>`` elements (a right-to-left mark stays inside its name); the static
tables escape every cell.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib import colormaps
from matplotlib.colors import to_hex

from vscbench_task.calibration.split import FULL
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import PART_TITLES, PARTS
from vscbench_task.inert import flat
from vscbench_task.judges.names import reading_label
from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table, judge_identity
from vscbench_task.report.plots import FILES, plane_limits, plane_points
from vscbench_task.report.ranking import BOARDS, OVERALL, in_order, leaderboard, model_numbers, splits
from vscbench_task.report.tables import Report
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.metric_specs import sra_name

HEATMAP = colormaps["viridis"]


def _value(x: float) -> float | None:
    """A figure as the page's data holds it: whole (the page rounds it once, as the tables do)."""
    return None if math.isnan(x) else x


def _interval(iv: Interval) -> list[float | None]:
    return [_value(iv.point), _value(iv.low), _value(iv.high)]


def page_data(report: Report) -> dict[str, Any]:
    """What the page's script shows: models, the three leaderboards, the calibration planes."""
    numbers = model_numbers(report)
    judge = report.judge
    mean = sra_name("mean", judge)
    boards: dict[str, list[dict[str, Any]]] = {}
    titles: dict[str, str] = {}
    board_of: dict[str, str] = {}
    for split, board in ((split, board) for split in splits(report) for board in BOARDS):
        key = board if split == FULL else f"{board}:{split}"  # runs of a split are ranked among themselves
        titles[key] = (board if board == OVERALL else PART_TITLES[board]) + (
            "" if split == FULL else f", {split} split"
        )
        board_of[key] = board
        rows = []
        for standing in leaderboard(report, board, split):
            m = report.models[standing.model]
            row: dict[str, Any] = {
                "m": standing.model,
                "rank": standing.rank,
                "rank_ci": [standing.rank_low, standing.rank_high],
            }
            if board == OVERALL:
                row["overall"] = _interval(standing.key)
                row |= {f"{p}_mean": _value(m.parts[p].sra[mean].point) for p in PARTS}
            else:
                sra = m.parts[board].sra
                row |= {kind: _interval(sra[sra_name(kind, judge)]) for kind in ("u", "s", "mean")}
                row["docs"] = m.parts[board].docs
            rows.append(row)
        boards[key] = rows
    planes = {}
    for part in PARTS:
        found = plane_points(report, part)
        points = [{"m": i, "s": _interval(s), "u": _interval(u)} for i, s, u in found]
        limits = plane_limits([s for _, s, _ in found], [u for _, _, u in found])
        planes[part] = {"title": PART_TITLES[part], "limits": limits, "points": points}
    return {
        "judge": reading_label(judge),
        "models": [
            {"name": m.name, "number": n, "source": m.source} for m, n in zip(report.models, numbers, strict=True)
        ],
        "boards": boards,
        "board_titles": titles,
        "board_of": board_of,
        "planes": planes,
    }


def script_json(data: Any) -> str:
    """JSON for a ``<script type="application/json">`` element: nothing in it can close or break the script."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _heatmap(report: Report, part: str) -> str:
    """A part's breakdown as a coloured table: models (leaderboard order) x groups, SRA_u and SRA_s."""
    groups = md.CATEGORIES if part == "image" else md.VARIANTS
    order = in_order(report, part)
    kinds = (("u", "SRA_u"), ("s", "SRA_s"))
    head = "".join(f'<th colspan="{len(groups)}">{label}</th>' for _, label in kinds)
    sub = "".join(f"<th>{html.escape(g)}</th>" for _ in kinds for g in groups)
    body = []
    for number, i in order:
        m = report.models[i]
        cells = []
        for kind, _ in kinds:
            for g in groups:
                value = m.parts[part].sra[sra_name(kind, report.judge, g)].point
                if math.isnan(value):
                    cells.append('<td class="na">—</td>')
                else:
                    ink = "#000" if value >= 0.55 else "#fff"
                    cells.append(f'<td style="background:{to_hex(HEATMAP(value))};color:{ink}">{value:.2f}</td>')
        name = f"<bdi>{html.escape(flat(m.name))}</bdi>"
        body.append(f'<tr data-m="{i}"><td>{number}</td><td class="name">{name}</td>{"".join(cells)}</tr>')
    return (
        f'<div class="scroll"><table class="heat" id="heat-{part}"><thead>'
        f'<tr><th rowspan="2">#</th><th rowspan="2">model</th>{head}</tr>'
        f"<tr>{sub}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td><bdi>{html.escape(flat(c))}</bdi></td>" for c in row) + "</tr>" for row in table.rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _image(figure: Figure, base: Path) -> str:
    """A figure the page does not draw itself (a calibration section's, the utility plane), inlined."""
    data = base64.b64encode((base / figure.file).read_bytes()).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure><img alt="{caption}" src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
    )


def _blocks(blocks: Sequence[Block], report: Report, base: Path) -> list[str]:
    """The blocks after the leaderboard section, as HTML; breakdown figures become heatmaps, any other
    figure is inlined as an image."""
    parts_of = {FILES["categories"]: "image", FILES["variants"]: "text"}
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{html.escape(flat(block.text))}</p>")
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Figure) and block.file in parts_of:
            caption = "Heatmap: rows in leaderboard order, value in each cell, colour on viridis from 0 to 1."
            out.append(f"<figure>{_heatmap(report, parts_of[block.file])}<figcaption>{caption}</figcaption></figure>")
        elif isinstance(block, Figure):
            out.append(_image(block, base))
    return out


def _sections(blocks: Sequence[Block]) -> tuple[list[Block], list[Block], list[Block]]:
    """(header, leaderboard section, the rest) of the document's blocks."""
    header: list[Block] = []
    board: list[Block] = []
    rest: list[Block] = []
    place = header
    for block in blocks:
        if isinstance(block, Heading) and block.level == 1:
            continue  # the page's own title
        if isinstance(block, Heading) and block.level == 2:
            place = board if block.anchor == "leaderboard" else rest
        place.append(block)
    return header, board, rest


def render(blocks: Sequence[Block], report: Report, base: Path) -> str:
    """The whole report as one self-contained interactive HTML page; figure files are read from ``base``."""
    title = next((b.text for b in blocks if isinstance(b, Heading)), "VSCBench report")
    header, _, rest = _sections(blocks)
    top = [f"<h1>{html.escape(title)}</h1>"]
    notes = []
    for block in header:
        if isinstance(block, Paragraph):
            if block.role == "method":
                notes.append(f"<p>{html.escape(block.text)}</p>")
            else:
                css = {"judge": "judge", "validity": "validity", "partial": "warning"}.get(block.role, "")
                top.append(f'<p class="{css}" id="{css}">{html.escape(flat(block.text))}</p>')
    identity = html.escape(judge_identity(report))
    return TEMPLATE.format(
        title=html.escape(title),
        style=STYLE,
        header="\n".join(top),
        judge=identity,
        notes="\n".join(notes),
        rest="\n".join(_blocks(rest, report, base)),
        data=script_json(page_data(report)),
        script=SCRIPT,
    )


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body>
<header>
{header}
</header>
<main>
<section id="leaderboard">
<h2>Leaderboard — {judge}</h2>
<div class="controls">
<label>Part <select id="part"></select></label>
<label>Model <input id="filter" type="search" placeholder="filter by name" autocomplete="off"></label>
<span id="metrics">Metrics: </span>
<span id="count"></span>
</div>
<div class="scroll"><table id="board"><thead></thead><tbody></tbody></table></div>
<p class="small" id="board-note"></p>
</section>
<section id="plane">
<h2>Calibration plane — {judge}</h2>
<p class="small">One point per model at (SRA_s, SRA_u) with its 95% intervals; hover a point for its figures,
click it to select its row. Dashed: SRA_u = SRA_s; dotted: SRA_u + SRA_s = 1 (top left: refuses everything;
bottom right: answers everything; top right: ideal).</p>
<div id="planes"></div>
<div id="tooltip" role="tooltip"></div>
</section>
<details><summary>How the figures are computed</summary>
{notes}
</details>
{rest}
</main>
<script id="data" type="application/json">{data}</script>
<script>{script}</script>
</body></html>
"""

# The page's style and script, kept as files of their own (shipped as package data).
STYLE = (Path(__file__).parent / "page.css").read_text(encoding="utf-8")
SCRIPT = (Path(__file__).parent / "page.js").read_text(encoding="utf-8")
