"""``vscbench prepare``: check the authors' image archive and install the referenced images."""

from __future__ import annotations

import argparse

from vscbench_task.cli.options import DATA_DIR_HELP
from vscbench_task.dataset import datadir
from vscbench_task.dataset.metadata import DOWNLOAD_URL

DESCRIPTION = f"Check the authors' image archive ({DOWNLOAD_URL}) and install the referenced images."


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("source", metavar="ARCHIVE_OR_FOLDER", help="the downloaded .zip, or the folder it extracts to")
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.dataset.prepare import prepare, summary

    root = datadir.resolve(args.data_dir)
    print(summary(prepare(args.source, root), root))
    return 0
