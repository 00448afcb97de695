"""The ``vscbench`` command line. Each sub-command lives in the module that does its job; a module
joins the command line by exposing ``add_command(subparsers)`` and being listed in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

# Modules that contribute sub-commands, in the order ``vscbench --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = ("prepare", "report.command", "demo.run", "rescore")


def _tasks_dir(_: argparse.Namespace) -> int:
    print(Path(__file__).resolve().parent / "task_yaml")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vscbench", description="VSCBench as lmms-eval tasks.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"vscbench_task.{name}").add_command(sub)
    tasks = sub.add_parser("tasks-dir", help="print the lmms-eval task folder (pass it to --include_path)")
    tasks.set_defaults(run=_tasks_dir)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
