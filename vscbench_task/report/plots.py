"""The report's figures as PNG files (matplotlib, Agg canvas, no pyplot state, fixed pixel sizes).

* ``calibration.png`` — per part, one point per model at (SRA_s, SRA_u) with its intervals as bars in
  both directions. The diagonal SRA_u = SRA_s is equal balance; the anti-diagonal SRA_u + SRA_s = 1 is
  where a model lands whose refusals ignore safety (top-left end: refuses everything; bottom-right end:
  answers everything); the top-right corner is perfect calibration.
* ``categories.png`` / ``variants.png`` — SRA_u and SRA_s per image category / text input variant,
  bars grouped by model, interval whiskers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import PART_TITLES
from vscbench_task.inert import flat
from vscbench_task.judges.names import reading_label
from vscbench_task.report.tables import ModelResult, Report
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.metric_specs import sra_name

DPI = 100
# name -> (file, size in inches); pixels = inches * DPI.
FIGURES = {
    "calibration": ("calibration.png", (12.0, 7.0)),
    "categories": ("categories.png", (12.0, 8.0)),
    "variants": ("variants.png", (12.0, 8.0)),
}
COLORS = [f"C{i}" for i in range(10)]


def _errors(intervals: Sequence[Interval]) -> np.ndarray:
    """Asymmetric error bar lengths (2, n); zero where the interval is unknown."""
    low = [0.0 if math.isnan(iv.low) else max(iv.point - iv.low, 0.0) for iv in intervals]
    high = [0.0 if math.isnan(iv.high) else max(iv.high - iv.point, 0.0) for iv in intervals]
    return np.array([low, high])


def _no_data(ax: Axes, part: str) -> None:
    ax.text(0.5, 0.5, f"no {PART_TITLES[part]} results", ha="center", va="center", transform=ax.transAxes)


def _calibration_panel(ax: Axes, report: Report, part: str) -> None:
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="equal balance (SRA_u = SRA_s)")
    ax.plot([0, 1], [1, 0], ls=":", color="grey", lw=1, label="no discrimination (SRA_u + SRA_s = 1)")
    ax.annotate("refuses everything", (0, 1), xytext=(4, -14), textcoords="offset points", fontsize=9)
    ax.annotate("answers everything", (1, 0), xytext=(-4, 6), textcoords="offset points", ha="right", fontsize=9)
    ax.annotate("ideal", (1, 1), xytext=(-4, -14), textcoords="offset points", ha="right", fontsize=9)
    drawn = 0
    for i, m in enumerate(report.models):
        if part not in m.parts:
            continue
        u = m.parts[part].sra[sra_name("u", report.judge)]
        s = m.parts[part].sra[sra_name("s", report.judge)]
        if math.isnan(u.point) or math.isnan(s.point):
            continue
        ax.errorbar(
            [s.point], [u.point], xerr=_errors([s]), yerr=_errors([u]), fmt="o", capsize=4,
            color=COLORS[i % len(COLORS)], label=flat(m.name),
        )  # fmt: skip
        drawn += 1
    if not drawn:
        _no_data(ax, part)
    ax.set(
        xlim=(-0.03, 1.03),
        ylim=(-0.03, 1.03),
        aspect="equal",
        title=f"{PART_TITLES[part]} — {reading_label(report.judge)}",
    )
    ax.set(xlabel="SRA_s (safe inputs answered)", ylabel="SRA_u (unsafe inputs recognised)")
    ax.grid(alpha=0.3)


def _shared_legend(fig: Figure) -> None:
    """One legend below the panels (a model may appear in one panel only), so no point is ever hidden."""
    handles: dict[str, Artist] = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=4, fontsize=9)


def _bars(
    ax: Axes,
    models: list[tuple[int, ModelResult]],
    groups: Sequence[str],
    value: Callable[[ModelResult, str], Interval],
) -> None:
    width = 0.8 / max(len(models), 1)
    x = np.arange(len(groups))
    for slot, (i, m) in enumerate(models):
        intervals = [value(m, g) for g in groups]
        heights = np.array([iv.point for iv in intervals])
        shown = ~np.isnan(heights)
        ax.bar(
            x[shown] + (slot - (len(models) - 1) / 2) * width, heights[shown], width, yerr=_errors(intervals)[:, shown],
            capsize=3, color=COLORS[i % len(COLORS)], label=flat(m.name),
        )  # fmt: skip
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.05)
    ax.grid(axis="y", alpha=0.3)


def _sra_of(part: str, kind: str, judge: str) -> Callable[[ModelResult, str], Interval]:
    """A model's SRA_<kind> interval for a group of ``part``."""
    return lambda m, group: m.parts[part].sra[sra_name(kind, judge, group)]


def _breakdown(report: Report, part: str, groups: Sequence[str], fig: Figure) -> None:
    models = [(i, m) for i, m in enumerate(report.models) if part in m.parts]
    axes = fig.subplots(2, 1, sharex=True)
    for ax, kind, label in zip(
        axes, ("u", "s"), ("SRA_u (unsafe inputs recognised)", "SRA_s (safe inputs answered)"), strict=True
    ):
        _bars(ax, models, groups, _sra_of(part, kind, report.judge))
        ax.set_ylabel(label)
    axes[0].set_title(f"{PART_TITLES[part]} — {reading_label(report.judge)} (bars: 95% intervals)")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)


def draw(report: Report, out_dir: Path) -> dict[str, str]:
    """Write the figures into ``out_dir``; returns figure name -> file name of those written.

    A breakdown figure is skipped when no model has that part; the calibration plane is always drawn.
    Text is drawn as plain text (no mathtext): a model name such as ``$\\macro{x}$`` is a name, not a
    formula to fail on.
    """
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw(report, out_dir)


def _draw(report: Report, out_dir: Path) -> dict[str, str]:
    written = {}
    for name, (file, size) in FIGURES.items():
        part = {"categories": "image", "variants": "text"}.get(name)
        if part is not None and not any(part in m.parts for m in report.models):
            continue
        fig = Figure(figsize=size, layout="constrained")
        if part is None:
            for ax, each in zip(fig.subplots(1, 2), ("image", "text"), strict=True):
                _calibration_panel(ax, report, each)
            _shared_legend(fig)
        else:
            _breakdown(report, part, md.CATEGORIES if part == "image" else md.VARIANTS, fig)
        _save(fig, out_dir / file)
        written[name] = file
    return written
