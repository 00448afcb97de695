"""``shifts.png``: how far each model's SRA moves from judge A to judge B, with its paired interval.

One panel per part, one row per model, and per model three marks: the shift of SRA_u, SRA_s and SRA_mean
in points with its 95% interval (the paired difference, ``compare.part_figures``). A mark on the zero
line means the judges give the model the same figure; the width of a bar is how sure that is. Matplotlib
on an Agg canvas, no pyplot state, as the report's figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vscbench_task.dataset.items import PART_TITLES, PARTS
from vscbench_task.inert import flat

FILE = "shifts.png"
MARKS = {"sra_u": ("SRA_u", "o", "C0"), "sra_s": ("SRA_s", "s", "C1"), "sra_mean": ("SRA_mean", "D", "C2")}


def draw(document: dict[str, Any], out: Path) -> Path:
    """Draw the shifts of ``document`` (a comparison) into ``out/shifts.png``."""
    matplotlib.rcParams["svg.fonttype"] = "none"
    parts = [p for p in PARTS if any(p in run["parts"] for run in document["runs"])]
    models = [run["model"] for run in document["runs"]]
    figure = Figure(figsize=(11.0, 1.5 + 0.45 * max(len(models), 2) * len(parts)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(parts), 1, squeeze=False)[:, 0]
    for ax, part in zip(axes, parts, strict=True):
        ax.axvline(0, color="grey", lw=1)
        for offset, (metric, (label, marker, color)) in zip((-0.2, 0.0, 0.2), MARKS.items(), strict=True):
            for row, run in enumerate(document["runs"]):
                figures = run["parts"].get(part)
                shift = figures["metrics"][metric]["difference"] if figures else None
                if shift is None or shift["point"] is None:
                    continue
                point = 100 * shift["point"]
                low = point if shift["low"] is None else 100 * shift["low"]
                high = point if shift["high"] is None else 100 * shift["high"]
                ax.errorbar(
                    point, row + offset, xerr=[[point - low], [high - point]], fmt=marker, color=color,
                    label=label if row == 0 else None, capsize=3,
                )  # fmt: skip
        ax.set_yticks(range(len(models)), [flat(m)[:40] for m in models])
        ax.invert_yaxis()
        ax.set_title(f"{PART_TITLES[part]}: B - A, in points (95% paired interval)")
        ax.legend(loc="lower right", fontsize=8)
    figure.suptitle(f"{flat(document['b']['label'])[:60]} (B) against {flat(document['a']['label'])[:60]} (A)")
    figure.tight_layout()
    path = out / FILE
    figure.savefig(path)
    return path
