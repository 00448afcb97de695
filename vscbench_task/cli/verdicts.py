"""``vscbench verdicts export``: a run's LLM judge verdicts as a portable verdict file."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import PARTIAL_HELP, RUN_HELP

DESCRIPTION = (
    "Write a run's LLM judge verdicts (per doc: the response's sha256, the judge's identity, its raw reply and "
    "both readings' classes) to a verdict file, from the judge's cache or from a rescore's per-item judgements "
    "file. With the file, `vscbench rescore RUN --verdicts FILE` reproduces every LLM figure with no judge."
)


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write a run's verdicts to a file", description=DESCRIPTION)
    given = export.add_mutually_exclusive_group(required=True)
    given.add_argument("source", type=Path, nargs="?", metavar="RUN", help=RUN_HELP)
    given.add_argument("--responses", type=Path, metavar="FILE", help="a responses file (doc_key + response per line)")
    export.add_argument("--judge", choices=("llm",), required=True, help="whose verdicts: the LLM judge's")
    export.add_argument("--out", type=Path, required=True, metavar="VERDICTS.jsonl", help="the verdict file to write")
    export.add_argument(
        "--judgements",
        type=Path,
        metavar="FILE",
        help="take the verdicts from the per-item judgements file a `vscbench rescore --judge llm` of this run wrote "
        "(the results file beside it names the judge) instead of the judge's cache",
    )
    export.add_argument(
        "--call",
        action="store_true",
        help="have the configured judge answer the docs its cache has no reply for (paid calls); without it, no "
        "call is made and such docs are refused",
    )
    export.add_argument("--allow-partial", action="store_true", help=f"{PARTIAL_HELP}; export the docs found")


def run(args: argparse.Namespace) -> int:
    from vscbench_task.cli import UsageError
    from vscbench_task.verdict_export import export

    if args.call and args.judgements is not None:
        raise UsageError("--call asks the judge, --judgements reads what it answered elsewhere: give one of them")
    done = export(
        args.responses or args.source,
        args.out,
        responses_file=args.responses is not None,
        judgements=args.judgements,
        call=args.call,
        allow_partial=args.allow_partial,
    )
    left = f"; {done.left_out:,} docs without a verdict left out" if done.left_out else ""
    print(
        f"{done.path}: {done.docs:,} verdicts ({done.failed:,} failed calls{left}) of {done.identity['model']} at "
        f"{done.identity['endpoint']}, from {done.source}"
    )
    return 0
