"""``vscbench validate-judge``: a judge measured against human-labelled responses."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import JUDGE_HELP, bootstrap_options, number, refuse_past_gates, whole_number
from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.names import JUDGES
from vscbench_task.validation import DEFAULT_GOLD_SETS, GOLD_SETS


def _gold_sets(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in GOLD_SETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"--gold takes a comma-separated list of {', '.join(GOLD_SETS)}; got {text!r}")
    return list(dict.fromkeys(names))


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--judge", choices=JUDGES, required=True, help=JUDGE_HELP)
    cmd.add_argument(
        "--gold",
        type=_gold_sets,
        help=f"gold sets, comma-separated, from {', '.join(GOLD_SETS)} (default: {','.join(DEFAULT_GOLD_SETS)}, "
        "or none with --gold-file)",
    )
    cmd.add_argument(
        "--gold-file",
        type=Path,
        action="append",
        metavar="FILE",
        help="your own human labels, one JSON line per response (format: the LLM judge guide); repeat for more",
    )
    cmd.add_argument(
        "--xstest-dir",
        type=Path,
        help="a clone of github.com/paul-rottger/exaggerated-safety (default: download the five pinned files)",
    )
    cmd.add_argument("--limit", type=whole_number(1, "--limit"), help="only the first N responses of each gold set")
    cmd.add_argument("--out", type=Path, default=Path("judge-validation"), help="folder for validation.json/.md")
    cmd.add_argument(
        "--min-kappa", type=number(-1, 1, "--min-kappa"), help="exit 1 if the official reading's kappa is below K"
    )
    cmd.add_argument(
        "--max-sra-error",
        type=number(0, 100, "--max-sra-error"),
        metavar="POINTS",
        help="exit 1 if any model's SRA is off by more than POINTS",
    )
    bootstrap_options(cmd)


def gold_set_names(args: argparse.Namespace) -> list[str]:
    """The shipped sets asked for: ``--gold``, else the default ones unless only ``--gold-file`` is given."""
    if args.gold is not None:
        return list(args.gold)
    return [] if args.gold_file else list(DEFAULT_GOLD_SETS)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.dataset import datadir
    from vscbench_task.judges.factory import make_judge
    from vscbench_task.judges.llm.judge import LLMJudge
    from vscbench_task.output_files import check_files_in, write_json
    from vscbench_task.validation import document, validate, validity
    from vscbench_task.validation.gold_file import load_gold_file

    kept_files, kept_folders = datadir.kept_paths(datadir.resolve())
    inputs = [*kept_files, *(args.gold_file or ())]
    check_files_in(args.out, validate.OUTPUT_FILES, "--out", inputs, kept_folders)
    judge = make_judge(args.judge)
    gold = validate.load_gold_sets(gold_set_names(args), args.xstest_dir, limit=args.limit)
    gold += [validate.limited(load_gold_file(path), args.limit) for path in args.gold_file or ()]
    if len({g.name for g in gold}) < len(gold):
        raise VSCBenchError("two --gold-file files have the same name: give each set of labels its own file name")
    found = validate.validate(judge, gold, resamples=args.resamples, seed=args.seed, limit=args.limit)
    written = validate.write(found, args.out)
    if isinstance(judge, LLMJudge):  # kept beside the judge's cache, where reports and rescore look for it
        written["saved"] = write_json(validity.saved_path(judge.settings, found), found)
    print(document.printed_table(found))
    for path in written.values():
        print(path)
    failing = validate.shortfalls(found, min_kappa=args.min_kappa, max_sra_error=args.max_sra_error)
    refuse_past_gates(failing, f"the {args.judge} judge falls short of the gates (the figures were written)")
    return 0
