"""``vscbench verify``: re-check a prepared data directory."""

from __future__ import annotations

import argparse

from vscbench_task.cli.options import DATA_DIR_HELP
from vscbench_task.dataset import datadir


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.dataset import metadata
    from vscbench_task.dataset.prepare import PrepareError, verify

    root = datadir.resolve(args.data_dir)
    problems = verify(root)
    if problems:
        raise PrepareError(f"{root} failed verification", problems, "Run `vscbench prepare` again to rebuild it.")
    print(f"{root}: all {len(metadata.referenced_files()):,} images present, unmodified and decodable.")
    return 0
