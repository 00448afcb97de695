"""``vscbench export``: the benchmark's requests for another generator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vscbench_task.cli.options import DATA_DIR_HELP, whole_number
from vscbench_task.dataset import datadir


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--format",
        choices=("requests", "vlmevalkit"),
        required=True,
        help="requests: one JSON line per item (doc_key, prompt, image path, settings); vlmevalkit: a TSV",
    )
    cmd.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the file to write (not in the data directory, not a device); /dev/stdout writes to standard output",
    )
    cmd.add_argument(
        "--split",
        choices=("full", "evaluation", "calibration"),
        default="full",
        help="which items: the whole benchmark (default), or the evaluation or calibration split (calibration guide)",
    )
    cmd.add_argument(
        "--method",
        choices=("baseline", "reminder", "fewshot"),
        default="baseline",
        help="add a prompt-based calibration method to each request: reminder (system_prompt) or fewshot "
        "(demonstrations); --format requests only",
    )
    cmd.add_argument(
        "--shots",
        type=whole_number(2, "--shots", 8),
        default=4,
        help="demonstrations per request with --method fewshot",
    )
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.hosts.responses_file.export import STDOUT, export

    count = export(
        args.out, args.format, datadir.resolve(args.data_dir), split=args.split, method=args.method, shots=args.shots
    )
    # The count goes to stderr when the requests themselves go to stdout, so a pipe gets only them.
    print(f"{args.out}: {count:,} requests ({args.format})", file=sys.stderr if args.out == STDOUT else sys.stdout)
    return 0
