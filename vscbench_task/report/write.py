"""Writing a report: load the runs, compute the numbers, draw, render, save.

Writes ``report.json`` (the numbers), the PNG figures, ``report.md``, the leaderboard export
(``leaderboard.csv``, ``leaderboard.jsonl``, ``leaderboard.meta.json``) and, with ``html``, the
interactive ``report.html``. Each source is one model's run from any host (``run_readers``): an
lmms-eval or lm-eval output, an inspect_ai log, or a plain responses file.

The report's files (``REPORT_FILES``) are replaced as a set: an earlier report in the same folder loses
the files this one does not write (a figure of a part no longer reported, ``report.html`` without
``--html``), and nothing else in the folder is touched. None of them may be a file of a run being reported
or of the data directory (its manifest, its images), or a special file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from vscbench_task.dataset import datadir
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import Run
from vscbench_task.judges.base import Judge
from vscbench_task.judges.factory import make_judge
from vscbench_task.judges.names import judge_of
from vscbench_task.judges.verdicts import VerdictsJudge, one_identity, read_verdicts
from vscbench_task.output_files import check_files_in, check_folder_target, staged_folder, write_json, write_text
from vscbench_task.report import calibration, export, html, markdown, plots, tables, utility
from vscbench_task.report.document import Block, build_document
from vscbench_task.report.results_cache import ResultsCache

# Every file a report can write: what replacing an earlier report removes if this one does not write it.
REPORT_FILES = frozenset(
    {"report.json", "report.md", "report.html", *plots.FILES.values(), *export.FILES.values()}
    | {calibration.FIGURE, utility.FIGURE}
)


def write_report(
    sources: list[str],
    out: Path,
    *,
    judge: str,
    seed: int,
    resamples: int,
    with_html: bool,
    validation: Path | None = None,
    allow_partial: bool = False,
    responses_files: tuple[str, ...] = (),
    verdicts: Mapping[str, Path] | None = None,
    utility_requests: tuple[utility.UtilityRequest, ...] = (),
    cache_dir: Path | None = None,
) -> dict[str, Path]:
    """Load the runs, compute and write everything; returns what was written by kind.

    ``responses_files`` are more runs, read as plain responses files whatever their names (``--responses``).
    ``verdicts`` maps each run's source to its verdict file: the LLM judge's readings are then scored from
    the verdicts (one judge identity across all runs), with no judge at all.
    Every run is loaded and the output folder checked before any judging; the files are written into a
    staging folder and moved into ``out`` together, so a failure (in a plot, say) leaves no half-written
    report.
    """
    kept, folders = datadir.kept_paths(datadir.resolve())
    check_folder_target(out, "--out", folders)
    given = [(source, False) for source in sources] + [(source, True) for source in responses_files]
    runs = [
        (source, load_run(source, allow_partial=allow_partial, responses_file=plain))
        for source, plain in tqdm(given, desc="loading runs", unit="run")
    ]
    judges = None
    if verdicts is not None:
        runs, judges, paths = with_verdicts(runs, verdicts, allow_partial=allow_partial)
        kept = [*kept, *paths]  # a verdict file is an input too: never overwritten
    inputs = [*(Path(source) for source, _ in runs), *(f for _, run in runs for f in run.files), *kept]
    inputs += [request.file for request in utility_requests]
    check_files_in(out, REPORT_FILES, "--out", [i for i in inputs if not i.is_dir()], folders)
    loaded = [run for _, run in runs]
    sources_given = [source for source, _ in runs]
    utilities = utility.values(utility_requests, sources_given, tables.model_names(loaded), [r.model for r in loaded])
    cache = None if cache_dir is None else ResultsCache(cache_dir)
    report = tables.build(
        runs, judge, seed=seed, resamples=resamples, validation=validation, judges=judges, cache=cache
    )
    if cache is not None:
        tqdm.write(
            f"results cache {cache.folder}: {cache.hits} run parts reused, {cache.misses} computed", file=sys.stderr
        )
    with staged_folder(out, REPORT_FILES) as staging:
        exported = export.write(report, staging)
        figures = plots.draw(report, staging)
        blocks = build_document(report, figures)
        scorers = judges or [make_judge(judge_of(report.judge))] * len(runs)
        extra, document, files = _calibration_and_utility(runs, scorers, report, utilities, staging)
        blocks += extra
        figures |= {Path(file).stem: file for file in files}
        write_json(staging / "report.json", report.to_json() | document)
        write_text(staging / "report.md", markdown.render(blocks))
        if with_html:
            write_text(staging / "report.html", html.render(blocks, report, staging))
    written = {"json": out / "report.json", **{name: out / file for name, file in figures.items()}}
    written["markdown"] = out / "report.md"
    written |= {f"leaderboard_{kind}": out / path.name for kind, path in exported.items()}
    if with_html:
        written["html"] = out / "report.html"
    return written


def with_verdicts(
    runs: list[tuple[str, Run]], verdicts: Mapping[str, Path], *, allow_partial: bool
) -> tuple[list[tuple[str, Run]], list[Judge], list[Path]]:
    """Each run judged from its verdict file (``verdicts``: source -> file, one judge identity for all): the
    runs kept to the docs their files hold, a ``VerdictsJudge`` each, and the files (inputs never overwritten)."""
    files = [read_verdicts(verdicts[source]) for source, _ in runs]
    one_identity(files)
    kept = [
        (source, run.keeping(file.kept_for(run.doc_keys(), allow_partial=allow_partial)))
        for (source, run), file in zip(runs, files, strict=True)
    ]
    return kept, [VerdictsJudge(file) for file in files], [file.path for file in files]


def _calibration_and_utility(
    runs: list[tuple[str, Run]],
    judges: list[Judge],
    report: tables.Report,
    utilities: list[utility.UtilityValue],
    staging: Path,
) -> tuple[list[Block], dict[str, Any], list[str]]:
    """The calibration section (runs of several methods of one model) and the calibration-utility plane
    (``--utility``), each only when there is something to show, with their entries for ``report.json`` and
    the figure files written."""
    blocks, document, files = calibration.section(
        runs,
        judges,
        report.judge,
        staging,
        seed=report.seed,
        resamples=report.resamples,
        level=report.level,
    )
    if utilities:
        utility.draw(utilities, report, staging / utility.FIGURE)
        blocks += utility.blocks(utilities, report, utility.FIGURE)
        document["utility"] = utility.to_json(utilities, report)
        files.append(utility.FIGURE)
    return blocks, document, files
