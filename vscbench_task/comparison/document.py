"""A judge comparison as Markdown, and the files ``vscbench compare-judges`` writes (with the figure).

Numbers as people compare them: SRA as fractions to three decimals, shifts in points with their interval,
kappa to three decimals. Each side is named by its reading and its judge's identity, and whether its
reading is the official one; cell text from outside (model names) is made inert.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vscbench_task.dataset.items import PART_TITLES
from vscbench_task.inert import markdown, markdown_table
from vscbench_task.judges.identity import described
from vscbench_task.output_files import staged_folder, write_json, write_text

MISSING = "—"
OUTPUT_FILES = ("comparison.json", "comparison.md", "shifts.png")  # what ``write`` puts in its folder
METRIC_LABELS = {"sra_u": "SRA_u", "sra_s": "SRA_s", "sra_mean": "SRA_mean"}


def _num(value: float | None, digits: int = 3) -> str:
    return MISSING if value is None else f"{value:.{digits}f}"


def _points(interval: dict[str, Any]) -> str:
    """A difference in points with its interval: ``+1.2 [-0.4, +2.9]``."""
    if interval["point"] is None:
        return MISSING
    bounds = "" if interval["low"] is None else f" [{100 * interval['low']:+.1f}, {100 * interval['high']:+.1f}]"
    return f"{100 * interval['point']:+.1f}{bounds}"


def _side(name: str, side: dict[str, Any]) -> str:
    official = "the official reading" if side["official_reading"] else "not the official reading"
    identity = side["judge_identity"]
    judge = "the keyword judge" if identity is None else described(identity)
    source = " — from verdict files" if "verdicts" in side else ""
    return f"- **{name}**: `{side['label']}`, reading `{side['reading']}` ({official}) of {judge}{source}"


def render(document: dict[str, Any]) -> str:
    """The whole comparison as Markdown."""
    boot = document["bootstrap"]
    out = [
        f"# Judge comparison — {document['a']['label']} (A) vs {document['b']['label']} (B)",
        "",
        _side("A", document["a"]),
        _side("B", document["b"]),
        "",
        f"Agreement is B against A on *recognised unsafe*; intervals are {boot['level']:.0%} percentile bootstrap "
        f"intervals ({boot['resamples']:,} resamples, seed {boot['seed']}) resampling whole prompts, both judges' "
        "verdicts together, so a shift's interval is that of the paired difference B - A (in points).",
    ]
    for run in document["runs"]:
        for task, found in run["partial"].items():
            docs = f"{found['found']:,} of {found['evaluated']:,} docs"
            out += ["", f"PARTIAL: {markdown(run['model'])} — {task} compared on {docs}."]
    rows = []
    for run in document["runs"]:
        for part, figures in run["parts"].items():
            recognised = figures["recognised"]
            low, high = recognised["kappa_95ci"]
            cells = [run["model"], part, f"{figures['docs']:,}", _num(recognised["accuracy"]),
                     f"{_num(recognised['kappa'])} [{_num(low)}, {_num(high)}]",
                     _num(figures["classes"]["kappa"]) if "classes" in figures else MISSING]  # fmt: skip
            for metric in METRIC_LABELS:
                values = figures["metrics"][metric]
                cells += [_num(values["a"]["point"]), _num(values["b"]["point"]), _points(values["difference"])]
            rows.append(cells)
    header = ["model", "part", "docs", "accuracy", "kappa [95% CI]", "class kappa"]
    for label in METRIC_LABELS.values():
        header += [f"{label} A", f"{label} B", f"{label} shift (points)"]
    out += ["", "## Per run", "", *markdown_table(header, rows), "", "![SRA shifts](shifts.png)"]
    out += _rankings(document["rankings"])
    for run in document["runs"]:
        for part, figures in run["parts"].items():
            if "classes" in figures:
                table = figures["classes"]["table"]
                columns = list(table)
                title = f"{markdown(run['model'])}, {PART_TITLES[part]}"
                out += ["", f"### Classes: {title} (A's class in rows, B's in columns)", ""]
                out += markdown_table(
                    ["A \\ B", *columns], [[row, *(str(table[row][c]) for c in columns)] for row in columns]
                )
    return "\n".join(out) + "\n"


def _rankings(rankings: dict[str, Any]) -> list[str]:
    if not rankings:
        return ["", "## Ranks", "", "One run only: no ranking to compare."]
    out = ["", "## Ranks", "", "Rank 1 is the highest SRA_mean (overall: the mean of the two parts' SRA_mean)."]
    for scope, found in rankings.items():
        title = "both parts" if scope == "overall" else PART_TITLES[scope]
        changed = ", ".join(found["changed"]) or "none"
        out += ["", f"### {title}", "", f"Spearman's correlation of the rankings: {_num(found['spearman'])}; rank "
                f"changes: {changed}.", ""]  # fmt: skip
        rows = [
            [m["model"], _num(m["a"]), f"{m['rank_a']:g}", _num(m["b"]), f"{m['rank_b']:g}",
             f"{m['rank_a'] - m['rank_b']:+g}" if m["rank_a"] != m["rank_b"] else "="]
            for m in found["models"]
        ]  # fmt: skip
        out += markdown_table(["model", "SRA_mean A", "rank A", "SRA_mean B", "rank B", "moved up"], rows)
        if found["left_out"]:
            out.append(f"\nLeft out (a figure undefined under a judge): {', '.join(found['left_out'])}.")
    return out


def write(document: dict[str, Any], out: Path) -> dict[str, Path]:
    """``comparison.json``, ``comparison.md`` and the figure ``shifts.png`` in ``out``, moved there together
    once all are written (a failure leaves none)."""
    from vscbench_task.comparison import plot

    with staged_folder(out, OUTPUT_FILES) as staging:
        write_json(staging / "comparison.json", document)
        write_text(staging / "comparison.md", render(document))
        plot.draw(document, staging)
    return {"json": out / "comparison.json", "markdown": out / "comparison.md", "figure": out / plot.FILE}
