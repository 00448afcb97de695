"""``vscbench report RUN [RUN ...] --out DIR``: the report of one or many lmms-eval runs.

Writes ``report.json`` (the numbers), the PNG figures, ``report.md`` and, with ``--html``, a
self-contained ``report.html``. Each RUN is what ``lmms-eval --log_samples --output_path`` wrote (its
folder, results file or a samples file); one run is one model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from vscbench_task.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from vscbench_task.llm_judge.settings import JudgeNotConfigured
from vscbench_task.lmms_outputs import load_run
from vscbench_task.report import html, markdown, plots, tables
from vscbench_task.report.document import build_document


def _count(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``, with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    return parse


def write_report(
    sources: list[str], out: Path, *, judge: str, seed: int, resamples: int, with_html: bool
) -> dict[str, Path]:
    """Load the runs, compute and write everything; returns what was written by kind."""
    missing = [source for source in sources if not Path(source).exists()]
    if missing:
        raise FileNotFoundError(
            f"no such run: {', '.join(missing)} (pass what lmms-eval --log_samples --output_path wrote: "
            "its folder, a *_results.json or a *_samples_<task>.jsonl file)"
        )
    runs = [(source, load_run(source)) for source in tqdm(sources, desc="loading runs", unit="run")]
    report = tables.build(runs, judge, seed=seed, resamples=resamples)
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


def _run(args: argparse.Namespace) -> int:
    try:
        written = write_report(
            args.runs, args.out, judge=args.judge, seed=args.seed, resamples=args.resamples, with_html=args.html
        )
    except (FileNotFoundError, ValueError, JudgeNotConfigured) as err:
        print(f"vscbench report: error: {err}", file=sys.stderr)
        return 2
    for path in written.values():
        print(path)
    return 0


def add_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="leaderboard, breakdowns, paired metrics and plots from lmms-eval outputs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "runs", nargs="+", metavar="RUN", help="lmms-eval --output_path folder, results or samples file"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the report into")
    parser.add_argument("--judge", default="keyword", help="whose verdicts to score (default: keyword)")
    parser.add_argument("--html", action="store_true", help="also write a self-contained report.html")
    parser.add_argument(
        "--seed", type=_count(0, "--seed"), default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--resamples",
        type=_count(1, "--resamples"),
        default=DEFAULT_RESAMPLES,
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES})",
    )
    parser.set_defaults(run=_run)
