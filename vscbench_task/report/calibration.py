"""Calibration methods against the baseline: ``vscbench compare-methods`` and the report's calibration section.

The runs are loaded and judged here (any host's run, any reading), compared doc by doc through
``calibration.compare`` (paired bootstrap), and shown as tables (SRA_u, SRA_s and their mean with each
difference from the baseline and its paired 95% interval; per category / variant; flipped docs) and one
figure (``methods.png``: each method's difference from the baseline with its interval, per part). The
report adds this section when it is given runs of several methods of one model, one of them the
baseline (``sections``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from vscbench_task.calibration.compare import NotComparable, PartComparison, compare_part, flip_counts
from vscbench_task.dataset.items import PART_TITLES, PARTS, Item
from vscbench_task.guides import guide
from vscbench_task.hosts.run import BASELINE, Run
from vscbench_task.inert import flat
from vscbench_task.judges.base import Judge
from vscbench_task.judges.names import reading_label
from vscbench_task.output_files import strict
from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table, bounds, number
from vscbench_task.report.tables import responses_by_part
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.metric_specs import BREAKDOWN, sra_name
from vscbench_task.scoring.score import Scored, judge_responses

FIGURE = "methods.png"
COMPARE_FILES = frozenset({"compare.json", "compare.md", FIGURE})  # what `compare-methods --out` writes
HEADLINE = ("u", "s", "mean")


@dataclass
class MethodComparison:
    """One method's run against the baseline's, per part present in both."""

    label: str
    source: str
    run: Run
    parts: dict[str, PartComparison]


def method_label(run: Run, source: str) -> str:
    """How a run is named in a comparison: its method (with the steering strength), or its file's name."""
    method = run.method.get("name") or Path(source).name
    steering = run.method.get("steering")
    if isinstance(steering, dict) and "alpha" in steering:
        method += f" (alpha {steering['alpha']:g})"
    return method


def _scored(run: Run, source: str, judge: Judge) -> dict[str, Scored[Item]]:
    return {
        part: judge_responses(responses, judge, source=f"{source} ({task})")
        for part, (task, responses) in responses_by_part(run, source).items()
    }


def compare_runs(
    runs: Sequence[tuple[str, Run]], judges: Sequence[Judge], reading: str, *, seed: int, resamples: int, level: float
) -> list[MethodComparison]:
    """The first run is the baseline; each other run is compared with it on every part both have. Each run
    is judged by its judge (``judges``, in the runs' order: one judge for all, or a verdict file each)."""
    (base_source, base_run), *others = runs
    if not others:
        raise NotComparable("compare-methods needs the baseline's run and at least one method's run")
    baseline = _scored(base_run, base_source, judges[0])
    found = []
    for (source, run), judge in zip(others, judges[1:], strict=True):
        method = _scored(run, source, judge)
        shared = [part for part in PARTS if part in baseline and part in method]
        if not shared:
            raise NotComparable(f"{source} has no part in common with the baseline {base_source}")
        parts = {
            part: compare_part(
                baseline[part], method[part], reading, names=(base_source, source), seed=seed, resamples=resamples,
                level=level,
            )
            for part in shared
        }  # fmt: skip
        found.append(MethodComparison(method_label(run, source), source, run, parts))
    return found


def _interval(iv: Interval) -> dict[str, Any]:
    return strict({k: v for k, v in iv._asdict().items() if k != "note" or v is not None})


def _run_json(source: str, run: Run) -> dict[str, Any]:
    return {"source": source, "model": run.model, "split": run.split, "method": run.method or None}


def to_json(
    baseline: tuple[str, Run], compared: Sequence[MethodComparison], reading: str, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """Every number of the comparison, machine-readable (NaN as null), with the flipped docs."""
    return {
        "judge": reading,
        **settings,
        "paired": "both runs' verdicts on the same docs, resampled together (clusters: prompts / queries)",
        "baseline": _run_json(*baseline),
        "methods": [
            {
                **_run_json(m.source, m.run),
                "label": m.label,
                "parts": {
                    part: {
                        "docs": p.docs,
                        "figures": {
                            name: {
                                "baseline": _interval(f.baseline),
                                "method": _interval(f.method),
                                "difference": _interval(f.difference),
                            }
                            for name, f in p.figures.items()
                        },
                        "flips": flip_counts(p.flips),
                        "flipped_docs": [
                            {
                                "doc_key": f.doc_key,
                                "unsafe": f.unsafe,
                                "baseline_recognised": f.baseline_recognised,
                                "method_recognised": f.method_recognised,
                                "better": f.better,
                            }
                            for f in p.flips
                        ],
                    }
                    for part, p in m.parts.items()
                },
            }
            for m in compared
        ],
    }


def _signed(iv: Interval) -> str:
    return "—" if math.isnan(iv.point) else f"{iv.point:+.3f}"


def blocks(
    baseline: tuple[str, Run], compared: Sequence[MethodComparison], reading: str, figure: str | None, level: float
) -> list[Block]:
    """The comparison as report blocks: the headline table per part, the breakdowns, the flips."""
    title = reading_label(reading)
    source, run = baseline
    found: list[Block] = [
        Heading(2, f"Calibration methods against the baseline — {title}"),
        Paragraph(
            f"Baseline: {method_label(run, source)} ({source}; model {run.model}, {run.split} split). Each method's "
            f"run is compared with it on the same docs; Δ is the method minus the baseline, with a paired {level:.0%} "
            "bootstrap interval (both runs' verdicts on the same docs resampled together, whole prompts / queries "
            "within each category / XSTest type), which an unpaired comparison would widen. These are the project's "
            f"own configurations of each method family, not the paper's (calibration guide: {guide('calibration')})."
        ),
    ]
    note = models_note(run, compared)
    if note:
        found.append(Paragraph(note))
    for part in PARTS:
        rows = []
        for m in compared:
            if part not in m.parts:
                continue
            p = m.parts[part]
            cells = [m.label, str(p.docs)]
            for kind in HEADLINE:
                f = p.figures[sra_name(kind, reading)]
                cells += [number(f.method.point), _signed(f.difference), bounds(f.difference)]
            counts = flip_counts(p.flips)
            cells += [str(counts["flipped"]), str(counts["better"]), str(counts["worse"])]
            rows.append(tuple(cells))
        if not rows:
            continue
        base = next(m.parts[part] for m in compared if part in m.parts)
        header: tuple[str, ...] = ("method", "docs")
        for label in ("SRA_u", "SRA_s", "mean"):
            header += (label, f"Δ {label}", "95% CI")
        header += ("flipped", "better", "worse")
        baseline_values = ", ".join(
            f"{label} {number(base.figures[sra_name(kind, reading)].baseline.point)}"
            for kind, label in zip(HEADLINE, ("SRA_u", "SRA_s", "mean"), strict=True)
        )
        found += [
            Heading(3, f"{PART_TITLES[part].capitalize()} — {title}"),
            Paragraph(
                f"Baseline: {baseline_values}. Flipped: docs whose verdict differs from the baseline's; better: the "
                "method handles them right (an unsafe doc newly recognised, a safe doc no longer refused)."
            ),
            Table(header, tuple(rows)),
            *_breakdown(compared, part, reading),
        ]
    if figure:
        found.append(Figure(figure, f"Each method minus the baseline, with paired 95% intervals — {title}"))
    return found


def _breakdown(compared: Sequence[MethodComparison], part: str, reading: str) -> list[Block]:
    field, groups = BREAKDOWN[part]
    rows = []
    for group in groups:
        for m in compared:
            if part not in m.parts:
                continue
            cells = [group, m.label]
            for kind in ("u", "s"):
                f = m.parts[part].figures[sra_name(kind, reading, group)]
                cells += [number(f.baseline.point), number(f.method.point), _signed(f.difference), bounds(f.difference)]
            rows.append(tuple(cells))
    header: tuple[str, ...] = (field, "method", "SRA_u base", "SRA_u method", "Δ SRA_u", "95% CI")
    header += ("SRA_s base", "SRA_s method", "Δ SRA_s", "95% CI")
    return [Heading(4, f"By {field}"), Table(header, tuple(rows))]


def draw(groups: Sequence[tuple[str, Sequence[MethodComparison]]], reading: str, path: Path) -> None:
    """``methods.png``: one row per model (``groups``: its name and its methods' comparisons), one panel per
    part: each method's Δ SRA_u, Δ SRA_s and Δ mean with paired intervals."""
    parts = [part for part in PARTS if any(part in m.parts for _, compared in groups for m in compared)]
    height = sum(1.2 + 0.9 * len(compared) for _, compared in groups)
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = MplFigure(figsize=(6.0 * len(parts), height), layout="constrained")
        axes = fig.subplots(len(groups), len(parts), squeeze=False)
        for row, (model, compared) in enumerate(groups):
            for ax, part in zip(axes[row], parts, strict=True):
                _panel(ax, [m for m in compared if part in m.parts], part, reading)
                title = f"{PART_TITLES[part]} — {reading_label(reading)}"
                ax.set_title(f"{flat(model)}: {title}" if model else title, fontsize=10)
        axes[0][0].legend(loc="best", fontsize=8)
        FigureCanvasAgg(fig)
        fig.savefig(path, dpi=100)


def _panel(ax: Any, compared: Sequence[MethodComparison], part: str, reading: str) -> None:
    for offset, (kind, colour) in enumerate(zip(HEADLINE, ("C3", "C0", "k"), strict=True)):
        intervals = [m.parts[part].figures[sra_name(kind, reading)].difference for m in compared]
        low = [0.0 if math.isnan(iv.low) else max(iv.point - iv.low, 0.0) for iv in intervals]
        high = [0.0 if math.isnan(iv.high) else max(iv.high - iv.point, 0.0) for iv in intervals]
        y = np.arange(len(intervals)) + (offset - 1) * 0.22
        label = "Δ mean" if kind == "mean" else f"Δ SRA_{kind}"
        ax.errorbar([iv.point for iv in intervals], y, xerr=[low, high], fmt="o", color=colour, capsize=3, label=label)
    ax.axvline(0.0, color="grey", lw=1, ls="--")
    ax.set_yticks(np.arange(len(compared)), [flat(m.label) for m in compared])
    ax.invert_yaxis()
    ax.set(xlabel="method minus baseline")
    ax.grid(axis="x", alpha=0.3)


def models_note(baseline: Run, compared: Sequence[MethodComparison]) -> str | None:
    """A warning when a method's run is of another model than the baseline's: its differences are then not
    a method's gain."""
    models = {m.run.model for m in compared} - {baseline.model}
    if not models:
        return None
    shown = ", ".join(flat(model) for model in sorted(models))
    return f"NOTE: not all runs are of the baseline's model ({flat(baseline.model)}): {shown}."


def summary(baseline: Run, compared: Sequence[MethodComparison], reading: str) -> str:
    """What ``compare-methods`` prints: per method and part, the headline differences and flips (and the
    note on models, which must not be seen only in a file)."""
    note = models_note(baseline, compared)
    lines = [] if note is None else [note]
    for m in compared:
        for part, p in m.parts.items():
            shown = []
            for kind, label in zip(HEADLINE, ("SRA_u", "SRA_s", "mean"), strict=True):
                f = p.figures[sra_name(kind, reading)]
                shown.append(f"{label} {number(f.method.point)} (Δ {_signed(f.difference)} {bounds(f.difference)})")
            counts = flip_counts(p.flips)
            lines.append(
                f"{flat(m.label)} [{part}, {p.docs:,} docs]: {'; '.join(shown)}; {counts['flipped']} flipped "
                f"({counts['better']} better, {counts['worse']} worse)"
            )
    return "\n".join(lines)


def comparable_groups(runs: Sequence[tuple[str, Run]]) -> list[list[int]]:
    """For the report: per model, the indices of its baseline run first and of its runs of other methods
    after, when it has one baseline and at least one method on the same split (other splits left out)."""
    groups = []
    for model in dict.fromkeys(run.model for _, run in runs):
        mine = [i for i, (_, run) in enumerate(runs) if run.model == model]
        bases = [i for i in mine if runs[i][1].method.get("name") == BASELINE]
        if len(bases) != 1:
            continue
        split = runs[bases[0]][1].split
        others = [
            i for i in mine if runs[i][1].method.get("name") not in (None, BASELINE) and runs[i][1].split == split
        ]
        if others:
            groups.append([bases[0], *others])
    return groups


def section(
    runs: Sequence[tuple[str, Run]],
    judges: Sequence[Judge],
    reading: str,
    out_dir: Path,
    *,
    seed: int,
    resamples: int,
    level: float,
) -> tuple[list[Block], dict[str, Any], list[str]]:
    """The report's calibration section for the models given with several methods: its blocks, its entry
    for ``report.json`` and the figure file written into ``out_dir`` (one ``methods.png``, a row per
    model). Empty when no model has a baseline and another method."""
    blocks_found: list[Block] = []
    documents, drawn = [], []
    settings = {"seed": seed, "resamples": resamples, "level": level}
    for indices in comparable_groups(runs):
        group = [runs[i] for i in indices]
        chosen = [judges[i] for i in indices]
        compared = compare_runs(group, chosen, reading, seed=seed, resamples=resamples, level=level)
        drawn.append((group[0][1].model, compared))
        blocks_found += blocks(group[0], compared, reading, None, level)
        documents.append(to_json(group[0], compared, reading, settings))
    if not drawn:
        return [], {}, []
    draw(drawn, reading, out_dir / FIGURE)
    title = f"Each method minus its model's baseline, with paired 95% intervals — {reading_label(reading)}"
    return [*blocks_found, Figure(FIGURE, title)], {"comparisons": documents}, [FIGURE]


def write_comparison(
    sources: Sequence[tuple[str, Run]],
    judges: Sequence[Judge],
    reading: str,
    out: Path,
    *,
    seed: int,
    resamples: int,
    level: float,
) -> tuple[list[MethodComparison], dict[str, Path]]:
    """``compare-methods --out DIR``: ``compare.json``, ``compare.md`` and ``methods.png``, written together."""
    from vscbench_task.output_files import staged_folder, write_json, write_text
    from vscbench_task.report import markdown

    compared = compare_runs(sources, judges, reading, seed=seed, resamples=resamples, level=level)
    settings = {"seed": seed, "resamples": resamples, "level": level}
    with staged_folder(out, COMPARE_FILES) as staging:
        write_json(staging / "compare.json", to_json(sources[0], compared, reading, settings))
        draw([("", compared)], reading, staging / FIGURE)
        write_text(staging / "compare.md", markdown.render(blocks(sources[0], compared, reading, FIGURE, level)))
    return compared, {"json": out / "compare.json", "markdown": out / "compare.md", "figure": out / FIGURE}
