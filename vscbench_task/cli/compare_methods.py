"""``vscbench compare-methods``: calibration methods against a baseline, doc by doc, with paired intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli import UsageError
from vscbench_task.cli.options import PARTIAL_HELP, RUN_HELP, VERDICTS_HELP, bootstrap_options, verdicts_of_runs
from vscbench_task.judges.names import READINGS

DESCRIPTION = (
    "Compare runs of calibration methods with the baseline's run of the same model on the same docs (e.g. the "
    "evaluation split: vscbench_eval against vscbench_reminder, vscbench_fewshot, vscbench_steer runs). Per method "
    "and part: SRA_u, SRA_s and their mean, the difference from the baseline with a paired bootstrap interval (the "
    "same docs resampled together, clustered by prompt / query), per category / variant, and the docs that flipped "
    "verdict. See the calibration guide."
)


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("baseline", metavar="BASELINE_RUN", help=f"the baseline's run ({RUN_HELP})")
    cmd.add_argument("methods", nargs="+", metavar="METHOD_RUN", help="a method's run; one per method")
    cmd.add_argument(
        "--judge",
        choices=READINGS,
        help="whose verdicts to compare: keyword, llm (official) or llm_strict (not official); default keyword, "
        "llm with --verdicts",
    )
    cmd.add_argument("--verdicts", action="append", metavar="RUN=FILE", help=VERDICTS_HELP)
    cmd.add_argument("--out", type=Path, help="also write compare.json, compare.md and methods.png into this folder")
    cmd.add_argument("--allow-partial", action="store_true", help=PARTIAL_HELP)
    bootstrap_options(cmd)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.dataset import datadir
    from vscbench_task.hosts.readers import load_run
    from vscbench_task.judges.factory import make_judge
    from vscbench_task.judges.names import judge_of
    from vscbench_task.output_files import check_files_in, check_folder_target
    from vscbench_task.report import calibration
    from vscbench_task.report.write import with_verdicts
    from vscbench_task.scoring.bootstrap_settings import DEFAULT_LEVEL

    sources = [args.baseline, *args.methods]
    judge = args.judge or ("llm" if args.verdicts else "keyword")
    verdicts = None
    if args.verdicts:
        if judge == "keyword":
            raise UsageError("--verdicts holds LLM judge verdicts: compare them with --judge llm or llm_strict")
        verdicts = verdicts_of_runs(args.verdicts, sources, "--verdicts")
    kept, folders = datadir.kept_paths(datadir.resolve())
    if args.out is not None:
        check_folder_target(args.out, "--out", folders)
    runs = [(source, load_run(source, allow_partial=args.allow_partial)) for source in sources]
    judges = [make_judge(judge_of(judge))] * len(runs)
    if verdicts is not None:
        runs, judges, paths = with_verdicts(runs, verdicts, allow_partial=args.allow_partial)
        kept = [*kept, *paths]
    if args.out is not None:
        inputs = [*(Path(source) for source in sources), *(f for _, run in runs for f in run.files), *kept]
        check_files_in(args.out, calibration.COMPARE_FILES, "--out", [i for i in inputs if not i.is_dir()], folders)
    settings = {"seed": args.seed, "resamples": args.resamples, "level": DEFAULT_LEVEL}
    if args.out is None:
        compared = calibration.compare_runs(runs, judges, judge, **settings)
        written: dict[str, Path] = {}
    else:
        compared, written = calibration.write_comparison(runs, judges, judge, args.out, **settings)
    print(calibration.summary(runs[0][1], compared, judge))
    for path in written.values():
        print(path)
    return 0
