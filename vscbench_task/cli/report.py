"""``vscbench report``: a leaderboard, breakdowns, paired metrics and plots from models' runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli import UsageError
from vscbench_task.cli.options import (
    PARTIAL_HELP,
    RUN_HELP,
    VALIDATION_HELP,
    VERDICTS_HELP,
    bootstrap_options,
    verdicts_of_runs,
)
from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.names import READINGS


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("runs", nargs="*", metavar="RUN", help=f"{RUN_HELP}; one per model")
    cmd.add_argument(
        "--responses",
        action="append",
        metavar="FILE",
        help="a model's responses file (doc_key + response per line); repeat for more models",
    )
    cmd.add_argument("--out", type=Path, required=True, help="folder to write the report into")
    cmd.add_argument(
        "--judge",
        choices=READINGS,
        help="whose verdicts to score: keyword, llm (official) or llm_strict (not official); default keyword, "
        "llm with --verdicts",
    )
    cmd.add_argument("--html", action="store_true", help="also write a self-contained report.html")
    cmd.add_argument("--verdicts", action="append", metavar="RUN=FILE", help=VERDICTS_HELP)
    cmd.add_argument("--validation", type=Path, help=VALIDATION_HELP)
    cmd.add_argument("--allow-partial", action="store_true", help=PARTIAL_HELP)
    cmd.add_argument(
        "--utility",
        action="append",
        type=_utility,
        metavar="RUN=RESULTS_FILE:METRIC",
        help="a utility figure for a run (its path or model name), from an lmms-eval or lm-eval results file, "
        "METRIC as the file keys it (task/metric,filter); repeat per run and metric: the calibration-utility plane",
    )
    cache = cmd.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache-dir",
        type=Path,
        help="folder of per-run results kept between reports, so a model added to a leaderboard is the only one "
        "computed (default: report-cache in the data directory)",
    )
    cache.add_argument("--no-cache", action="store_true", help="compute every run, keep nothing")
    bootstrap_options(cmd)


def _utility(text: str) -> object:
    from vscbench_task.report.utility import parse

    try:
        return parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    from vscbench_task.report.results_cache import default_folder
    from vscbench_task.report.write import write_report

    if not args.runs and not args.responses:
        raise VSCBenchError("no run given: pass RUN folders/files, or --responses FILE")
    verdicts = None
    judge = args.judge or ("llm" if args.verdicts else "keyword")
    if args.verdicts:
        if judge == "keyword":
            raise UsageError("--verdicts holds LLM judge verdicts: report them with --judge llm or llm_strict")
        verdicts = verdicts_of_runs(args.verdicts, [*args.runs, *(args.responses or ())], "--verdicts")
    written = write_report(
        args.runs,
        args.out,
        judge=judge,
        seed=args.seed,
        resamples=args.resamples,
        with_html=args.html,
        validation=args.validation,
        allow_partial=args.allow_partial,
        responses_files=tuple(args.responses or ()),
        verdicts=verdicts,
        utility_requests=tuple(args.utility or ()),
        cache_dir=None if args.no_cache else args.cache_dir or default_folder(),
    )
    for path in written.values():
        print(path)
    if judge != "keyword":
        print(judge_lines(written["json"], judge))
    return 0


def judge_lines(report_json: Path, reading: str) -> str:
    """How the LLM judge did on each model's parts, from the written report: failed calls beside replies
    this reading found no class in (both count as not recognised)."""
    import json

    lines = []
    for model in json.loads(report_json.read_text(encoding="utf-8"))["models"]:
        for part, figures in model["parts"].items():
            lines.append(
                f"{model['name']}, {part}-centric: {figures['docs']:,} docs, {figures['judge_failed']:,} judge calls "
                f"failed, {figures['judge_unparseable']:,} replies unparseable ({reading} reading)"
            )
    return "\n".join(lines)
