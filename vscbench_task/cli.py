"""The ``vscbench`` command line: one sub-command per job, each implemented in its own module."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _tasks_dir(_: argparse.Namespace) -> int:
    print(Path(__file__).resolve().parent / "task_yaml")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vscbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    tasks = sub.add_parser("tasks-dir", help="print the lmms-eval task folder (pass it to --include_path)")
    tasks.set_defaults(run=_tasks_dir)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
