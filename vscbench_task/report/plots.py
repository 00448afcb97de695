"""The report's figures as PNG files: drawn once, laid out in pixels, readable from 1 to 200 models.

* ``calibration.png`` — per part, one point per model at (SRA_s, SRA_u) with its intervals as bars in
  both directions, labelled with the model's *number* (its place in leaderboard order,
  ``ranking.model_numbers``), each label put where it overlaps no other (``label_placement``), with a
  leader line when it had to move away from its point. A key below the panels lists every number with
  its model. With up to ``COLOURS_UP_TO`` models each also has a colour of its own; with more, the
  numbers alone tell them apart (no palette keeps sixty colours apart), and every point is one colour.
  The diagonal SRA_u = SRA_s is equal balance; the anti-diagonal SRA_u + SRA_s = 1 is where a model
  lands whose refusals ignore safety (top-left end: refuses everything; bottom-right end: answers
  everything); the top-right corner is perfect calibration.
* ``categories.png`` / ``variants.png`` — SRA_u and SRA_s per image category / text input variant. Up
  to ``BARS_UP_TO`` models: bars grouped by category, one colour per model, interval whiskers. More:
  two heatmaps (SRA_u, SRA_s), one row per model in leaderboard order, one column per category or
  variant, the value printed in each cell, coloured on viridis from 0 to 1 (sequential, readable with
  colour-blindness and in grey).

Every size is in pixels (``DPI`` 100) and no text is smaller than ``MIN_POINTS``: a figure grows with
its models instead of shrinking its text. Names are shortened to ``NAME_CHARS`` characters in figures
(the tables carry them whole); text is drawn as plain text (no mathtext), so a model name such as
``$\\macro{x}$`` is a name, not a formula to fail on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import PART_TITLES
from vscbench_task.inert import flat
from vscbench_task.judges.names import reading_label
from vscbench_task.report.label_placement import place
from vscbench_task.report.ranking import in_order, model_numbers
from vscbench_task.report.tables import Report
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.metric_specs import sra_name

DPI = 100
MIN_POINTS = 7.0
LABEL_POINTS = 8.0  # point labels, keys, heatmap cells and rows
FILES = {"calibration": "calibration.png", "categories": "categories.png", "variants": "variants.png"}
FIGURES = tuple(FILES)
PALETTE = tuple(matplotlib.colormaps["tab10"].colors)  # type: ignore[attr-defined]
COLOURS_UP_TO = len(PALETTE)
ONE_COLOUR = "#1f77b4"
BARS_UP_TO = 6
NAME_CHARS = 40
KINDS = (("u", "SRA_u (unsafe inputs recognised)"), ("s", "SRA_s (safe inputs answered)"))
HEATMAP = colormaps["viridis"]
MISSING_CELL = "#d9d9d9"


def short(name: str) -> str:
    """A model name for a figure: one line, at most ``NAME_CHARS`` characters (an ellipsis says so)."""
    text = flat(name)
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


def colour(number: int, models: int) -> str | tuple[float, float, float]:
    """A model's colour: its own while the palette holds every model, else one colour for all."""
    return PALETTE[(number - 1) % len(PALETTE)] if models <= COLOURS_UP_TO else ONE_COLOUR


@dataclass
class Canvas:
    """A figure laid out in pixels from the top-left corner."""

    width: int
    height: int

    def __post_init__(self) -> None:
        self.figure = Figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI)
        self.renderer: RendererAgg = FigureCanvasAgg(self.figure).get_renderer()

    def axes(self, left: float, top: float, width: float, height: float) -> Axes:
        box = (left / self.width, 1 - (top + height) / self.height, width / self.width, height / self.height)
        return self.figure.add_axes(box)

    def text_size(self, text: str, points: float = LABEL_POINTS) -> tuple[float, float]:
        """Width and height in pixels of one line of plain text, as the renderer will box it."""
        probe = self.figure.text(0, 0, text, fontsize=points)
        box = probe.get_window_extent(self.renderer)
        probe.remove()
        return box.width, box.height


def _errors(intervals: Sequence[Interval]) -> np.ndarray:
    """Asymmetric error bar lengths (2, n); zero where the interval is unknown."""
    low = [0.0 if math.isnan(iv.low) else max(iv.point - iv.low, 0.0) for iv in intervals]
    high = [0.0 if math.isnan(iv.high) else max(iv.high - iv.point, 0.0) for iv in intervals]
    return np.array([low, high])


KEY_ROW = 15
KEY_TITLE = 28


def _key_layout(canvas: Canvas, entries: Sequence[str], width: float) -> tuple[int, float, float]:
    """Columns, column width and height (pixels) of a key of ``entries`` across ``width``."""
    column = 16 + max(canvas.text_size(e)[0] for e in entries) + 18
    columns = max(1, min(len(entries), int(width // column)))
    rows = math.ceil(len(entries) / columns)
    return columns, column, KEY_TITLE + rows * KEY_ROW + 6


def _key(canvas: Canvas, top: float, width: float, entries: Sequence[tuple[int, str, object]], title: str) -> None:
    """The key below a figure's panels: every model's number (and colour) with its name, in number order."""
    texts = [f"{number}  {short(name)}" for number, name, _ in entries]
    columns, column, height = _key_layout(canvas, texts, width)
    rows = math.ceil(len(entries) / columns)
    ax = canvas.axes(20, top, width, height)
    ax.set_axis_off()
    ax.set(xlim=(0, width), ylim=(height, 0))
    ax.text(0, 12, title, fontsize=9, va="center", ha="left")
    for slot, ((number, _, shade), text) in enumerate(zip(entries, texts, strict=True)):
        x, y = (slot // rows) * column, KEY_TITLE + (slot % rows) * KEY_ROW
        ax.plot([x + 5], [y], "o", ms=5, color=shade, gid=f"key-{number}")
        ax.text(x + 14, y, text, fontsize=LABEL_POINTS, va="center", ha="left")


def _entries(report: Report, ordered: Sequence[tuple[int, int]]) -> list[tuple[int, str, object]]:
    """(number, name, colour) of the models ``ordered`` ((number, index) pairs), coloured among themselves."""
    return [(n, report.models[i].name, colour(n, len(ordered))) for n, i in ordered]


def _key_height(entries: Sequence[tuple[int, str, object]], width: float) -> float:
    return _key_layout(Canvas(int(width), 100), [f"{n}  {short(name)}" for n, name, _ in entries], width)[2]


def plane_points(report: Report, part: str) -> list[tuple[int, Interval, Interval]]:
    """(model index, SRA_s, SRA_u) of every model with both figures on ``part``: the calibration plane's
    points (the PNG's and the HTML page's)."""
    points = []
    for i, m in enumerate(report.models):
        if part in m.parts:
            u, s = (m.parts[part].sra[sra_name(kind, report.judge)] for kind in ("u", "s"))
            if not (math.isnan(u.point) or math.isnan(s.point)):
                points.append((i, s, u))
    return points


FULL = (-0.03, 1.03)
ZOOM_MIN_SPAN = 0.3


def plane_limits(
    safe: Sequence[Interval], unsafe: Sequence[Interval]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The panel's limits: the whole unit square while each model has a colour of its own; for more
    models, the square around their points and intervals (one span for both axes, so the diagonals
    keep their meaning), since many models crowd into a corner where their labels need the room."""
    if len(safe) <= COLOURS_UP_TO:
        return FULL, FULL
    ends = [[v for iv in ivs for v in (iv.point, iv.low, iv.high) if not math.isnan(v)] for ivs in (safe, unsafe)]
    span = min(max(ZOOM_MIN_SPAN, 1.15 * max(max(e) - min(e) for e in ends)), FULL[1] - FULL[0])
    limits = []
    for values in ends:
        middle = (max(values) + min(values)) / 2
        low = min(max(middle - span / 2, FULL[0]), FULL[1] - span)
        limits.append((low, low + span))
    return limits[0], limits[1]


PANEL = 520
PANEL_MAX = 760
PANEL_LEFT = 70
PANEL_GAP = 90
PANEL_TOP = 50
PANEL_BELOW = 60


def _calibration(report: Report, numbers: list[int]) -> Canvas:
    panel = int(min(PANEL_MAX, PANEL + 1.5 * max(0, len(report.models) - 60)))  # room for many labels
    width = PANEL_LEFT + 2 * panel + PANEL_GAP + 30
    title = "Key — number: the model's place in leaderboard order (the report's tables use the same order)"
    entries = _entries(report, in_order(report))
    canvas = Canvas(width, int(PANEL_TOP + panel + PANEL_BELOW + _key_height(entries, width - 40) + 20))
    for k, part in enumerate(("image", "text")):
        ax = canvas.axes(PANEL_LEFT + k * (panel + PANEL_GAP), PANEL_TOP, panel, panel)
        _calibration_panel(canvas, ax, report, part, numbers)
    _key(canvas, PANEL_TOP + panel + PANEL_BELOW, width - 40, entries, title)
    return canvas


def _calibration_panel(canvas: Canvas, ax: Axes, report: Report, part: str, numbers: list[int]) -> None:
    found = sorted(plane_points(report, part), key=lambda point: numbers[point[0]])
    shown = [(numbers[i], s, u, colour(numbers[i], len(report.models))) for i, s, u in found]
    (x_low, x_high), (y_low, y_high) = limits = plane_limits([s for _, s, _, _ in shown], [u for _, _, u, _ in shown])
    ax.set(xlim=limits[0], ylim=limits[1])
    zoomed = limits != ((FULL[0], FULL[1]), (FULL[0], FULL[1]))
    title = f"{PART_TITLES[part]} — {reading_label(report.judge)}"
    ax.set_title(title + (" (zoomed to the models)" if zoomed else ""), fontsize=11)
    ax.set_xlabel("SRA_s (safe inputs answered)", fontsize=10)
    ax.set_ylabel("SRA_u (unsafe inputs recognised)", fontsize=10)
    ax.tick_params(labelsize=9)
    ax.grid(alpha=0.3)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.plot([0, 1], [1, 0], ls=":", color="grey", lw=1)
    corners = [
        ("refuses everything", (0, 1), (4, -14), "left"),
        ("answers everything", (1, 0), (-4, 6), "right"),
        ("ideal", (1, 1), (-4, -14), "right"),
    ]
    notes = [
        ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=align, fontsize=LABEL_POINTS)
        for text, xy, offset, align in corners
        if x_low <= xy[0] <= x_high and y_low <= xy[1] <= y_high
    ]
    notes.append(
        ax.annotate(
            "dashed: SRA_u = SRA_s; dotted: SRA_u + SRA_s = 1", (0, 0), xycoords="axes fraction", xytext=(4, 6),
            textcoords="offset points", fontsize=LABEL_POINTS, color="dimgrey",
        )
    )  # fmt: skip
    if not shown:
        ax.text(0.5, 0.5, f"no {PART_TITLES[part]} results", ha="center", va="center", transform=ax.transAxes)
        return
    xs, ys = [s.point for _, s, _, _ in shown], [u.point for _, _, u, _ in shown]
    shades = [shade for *_, shade in shown]
    bars, bar_shades = [], []  # each interval a line through the point, in the model's colour
    for _, s, u, shade in shown:
        if not math.isnan(s.low):
            bars.append([(s.low, u.point), (s.high, u.point)])
            bar_shades.append(shade)
        if not math.isnan(u.low):
            bars.append([(s.point, u.low), (s.point, u.high)])
            bar_shades.append(shade)
    ax.add_collection(LineCollection(bars, colors=bar_shades, linewidths=0.7, alpha=0.6))
    ax.scatter(xs, ys, s=25, c=shades, zorder=3, gid="points")
    points = ax.transData.transform(np.column_stack([xs, ys]))
    sizes = np.array([canvas.text_size(str(n)) for n, *_ in shown])
    obstacles = np.array([list(note.get_window_extent(canvas.renderer).extents) for note in notes])
    x0, y0, x1, y1 = ax.bbox.extents
    centres = place(points, sizes, (x0 + 2, y0 + 2, x1 - 2, y1 - 2), obstacles, marker=7.0)
    inverse = ax.transData.inverted()
    for (number, *_, shade), point, centre, size in zip(shown, points, centres, sizes, strict=True):
        cx, cy = inverse.transform(centre)
        ax.text(
            cx, cy, str(number), fontsize=LABEL_POINTS, ha="center", va="center", color="black", gid=f"label-{number}"
        )
        gap = centre - point
        if np.hypot(*gap) > 4 + max(size):  # moved away from its point: a leader line shows whose it is
            edge = centre - gap * min(size[0] / 2 / max(abs(gap[0]), 1e-9), size[1] / 2 / max(abs(gap[1]), 1e-9), 1)
            ends = inverse.transform([point, edge])
            ax.plot(ends[:, 0], ends[:, 1], color=shade, lw=0.5, alpha=0.7)


BAR_AXES_HEIGHT = 300
BAR_LEFT = 80


def _bars(report: Report, part: str, groups: Sequence[str]) -> Canvas:
    ordered = in_order(report, part)
    width = 1200
    entries = _entries(report, ordered)
    top, gap = 60, 30
    canvas = Canvas(width, int(top + 2 * BAR_AXES_HEIGHT + gap + 40 + _key_height(entries, width - 40) + 20))
    canvas.figure.text(
        0.5, 1 - 22 / canvas.height, f"{PART_TITLES[part]} — {reading_label(report.judge)} (bars: 95% intervals)",
        ha="center", va="center", fontsize=11,
    )  # fmt: skip
    bar = 0.8 / max(len(ordered), 1)
    x = np.arange(len(groups))
    for row, (kind, label) in enumerate(KINDS):
        ax = canvas.axes(BAR_LEFT, top + row * (BAR_AXES_HEIGHT + gap), width - BAR_LEFT - 30, BAR_AXES_HEIGHT)
        for slot, ((number, i), (_, _, shade)) in enumerate(zip(ordered, entries, strict=True)):
            intervals = [report.models[i].parts[part].sra[sra_name(kind, report.judge, g)] for g in groups]
            heights = np.array([iv.point for iv in intervals])
            drawn = ~np.isnan(heights)
            ax.bar(
                x[drawn] + (slot - (len(ordered) - 1) / 2) * bar, heights[drawn], bar,
                yerr=_errors(intervals)[:, drawn], capsize=2, color=shade, gid=f"model-{number}",
            )  # fmt: skip
        ax.set_xticks(x, list(groups) if row == 1 else [""] * len(groups))
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(label, fontsize=10)
        ax.tick_params(labelsize=9)
        ax.grid(axis="y", alpha=0.3)
    _key(canvas, top + 2 * BAR_AXES_HEIGHT + gap + 40, width - 40, entries, "Key")
    return canvas


CELL_HEIGHT = 16
HEATMAP_TOP = 100


def _heatmap(report: Report, part: str, groups: Sequence[str]) -> Canvas:
    ordered = in_order(report, part)
    models = [i for _, i in ordered]
    probe = Canvas(100, 100)
    rows = [f"{n}  {short(report.models[i].name)}" for n, i in ordered]
    left = 20 + max(probe.text_size(r)[0] for r in rows) + 10
    cell = max(56.0, max(probe.text_size(g)[0] for g in groups) + 14)
    block = cell * len(groups)
    height = CELL_HEIGHT * len(models)
    gap, bar = 40, 110
    canvas = Canvas(int(left + 2 * block + gap + bar), int(HEATMAP_TOP + height + 30))
    label = "category" if part == "image" else "input variant"
    canvas.figure.text(
        0.5, 1 - 20 / canvas.height, f"{PART_TITLES[part]} SRA by {label} — {reading_label(report.judge)}",
        ha="center", va="center", fontsize=11,
    )  # fmt: skip
    canvas.figure.text(
        0.5, 1 - 40 / canvas.height, "rows: models in leaderboard order (their number in the key of calibration.png)",
        ha="center", va="center", fontsize=9,
    )  # fmt: skip
    image = None
    for k, (kind, title) in enumerate(KINDS):
        values = np.array(
            [[report.models[i].parts[part].sra[sra_name(kind, report.judge, g)].point for g in groups] for i in models]
        )
        ax = canvas.axes(left + k * (block + gap), HEATMAP_TOP, block, height)
        colours = HEATMAP.with_extremes(bad=MISSING_CELL)
        image = ax.imshow(
            np.ma.masked_invalid(values), cmap=colours, vmin=0, vmax=1, aspect="auto", interpolation="nearest"
        )
        ax.set_title(title, fontsize=10, pad=24)
        ax.xaxis.tick_top()
        ax.set_xticks(range(len(groups)), list(groups), fontsize=LABEL_POINTS)
        ax.set_yticks([])
        ax.tick_params(length=0)
        if k == 0:  # plain texts: a tick per model (line and label artists) costs several times more
            place_rows = blended_transform_factory(ax.transAxes, ax.transData)
            for r, row in enumerate(rows):
                ax.text(-6 / block, r, row, ha="right", va="center", fontsize=LABEL_POINTS, transform=place_rows)
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                text = "—" if math.isnan(value) else f"{value:.2f}"
                ink = "black" if math.isnan(value) or value >= 0.55 else "white"
                ax.text(
                    c, r, text, ha="center", va="center", fontsize=LABEL_POINTS, color=ink, gid=f"cell-{kind}-{r}-{c}"
                )
    assert image is not None
    scale = canvas.axes(left + 2 * block + gap + 10, HEATMAP_TOP, 16, min(height, 300))
    canvas.figure.colorbar(image, cax=scale)
    scale.tick_params(labelsize=LABEL_POINTS)
    scale.set_ylabel("SRA (0 to 1)", fontsize=LABEL_POINTS)
    return canvas


def figures(report: Report) -> dict[str, Figure]:
    """Every figure of the report, laid out but not yet rendered; a breakdown is left out when no model
    has that part. The calibration plane is always there."""
    numbers = model_numbers(report)
    out = {}
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        out["calibration"] = _calibration(report, numbers).figure
        for name, part, groups in (("categories", "image", md.CATEGORIES), ("variants", "text", md.VARIANTS)):
            count = sum(part in m.parts for m in report.models)
            if count:
                draw = _bars if count <= BARS_UP_TO else _heatmap
                out[name] = draw(report, part, groups).figure
    return out


def draw(report: Report, out_dir: Path) -> dict[str, str]:
    """Write the figures into ``out_dir`` (each drawn once, as it is saved); returns figure name -> file
    name of those written."""
    return _draw(report, out_dir)


def _draw(report: Report, out_dir: Path) -> dict[str, str]:
    written = {}
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        for name, figure in figures(report).items():
            figure.savefig(out_dir / FILES[name], dpi=DPI)
            written[name] = FILES[name]
    return written
