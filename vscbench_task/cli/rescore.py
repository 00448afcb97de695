"""``vscbench rescore``: every metric of a logged run, recomputed with a chosen judge."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli import UsageError
from vscbench_task.cli.options import JUDGE_HELP, PARTIAL_HELP, RUN_HELP, VALIDATION_HELP
from vscbench_task.judges.names import JUDGES


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    given = cmd.add_mutually_exclusive_group(required=True)
    given.add_argument("source", type=Path, nargs="?", help=RUN_HELP)
    given.add_argument(
        "--responses", type=Path, metavar="FILE", help='a JSON Lines file of {"doc_key": ..., "response": ...}'
    )
    cmd.add_argument("--judge", choices=JUDGES, help=f"{JUDGE_HELP}; required unless --verdicts is given")
    cmd.add_argument(
        "--verdicts",
        type=Path,
        metavar="FILE",
        help="score the LLM judge's readings from this verdict file (vscbench verdicts export), with no judge",
    )
    cmd.add_argument("--output", type=Path, help="results JSON to write (default: next to the input)")
    cmd.add_argument("--validation", type=Path, help=VALIDATION_HELP)
    cmd.add_argument("--allow-partial", action="store_true", help=PARTIAL_HELP)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.rescore import rescore, summary

    if args.judge is None and args.verdicts is None:
        raise UsageError("rescore needs --judge keyword|llm, or --verdicts FILE")
    if args.verdicts is not None and args.judge not in (None, "llm"):
        raise UsageError(f"--verdicts holds LLM judge verdicts: it cannot rescore with --judge {args.judge}")
    document = rescore(
        args.responses or args.source,
        args.judge or "llm",
        args.output,
        verdicts=args.verdicts,
        validation=args.validation,
        allow_partial=args.allow_partial,
        responses_file=args.responses is not None,
    )
    print(summary(document))
    return 0
