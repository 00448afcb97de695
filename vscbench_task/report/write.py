"""Writing a report: load the runs, compute the numbers, draw, render, save.

Writes ``report.json`` (the numbers), the PNG figures, ``report.md`` and, with ``html``, a
self-contained ``report.html``. Each source is what ``lmms-eval --log_samples --output_path`` wrote
(its folder, results file or a samples file); one source is one model.
"""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from vscbench_task.lmms.outputs import load_run
from vscbench_task.report import html, markdown, plots, tables
from vscbench_task.report.document import build_document


def write_report(
    sources: list[str],
    out: Path,
    *,
    judge: str,
    seed: int,
    resamples: int,
    with_html: bool,
    validation: Path | None = None,
) -> dict[str, Path]:
    """Load the runs, compute and write everything; returns what was written by kind."""
    runs = [(source, load_run(source)) for source in tqdm(sources, desc="loading runs", unit="run")]
    report = tables.build(runs, judge, seed=seed, resamples=resamples, validation=validation)
    out.mkdir(parents=True, exist_ok=True)
    written = {"json": out / "report.json"}
    written["json"].write_text(json.dumps(report.to_json(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    figures = plots.draw(report, out)
    written.update({name: out / file for name, file in figures.items()})
    blocks = build_document(report, figures)
    written["markdown"] = out / "report.md"
    written["markdown"].write_text(markdown.render(blocks), encoding="utf-8")
    if with_html:
        written["html"] = out / "report.html"
        written["html"].write_text(html.render(blocks, out), encoding="utf-8")
    return written
