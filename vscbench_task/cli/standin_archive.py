"""``vscbench standin-archive``: the demo's synthetic stand-in of the authors' image archive."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import whole_number


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("dest", type=Path, help="the .zip to write (or the folder, with --folder)")
    cmd.add_argument(
        "--size", type=whole_number(8, "--size", 4096), default=64, help="picture size in pixels (default 64)"
    )
    cmd.add_argument("--folder", action="store_true", help="write the extracted folder instead of a zip")


def run(args: argparse.Namespace) -> int:
    from vscbench_task.demo import standin_archive

    print(standin_archive.build(args.dest, size=args.size, as_zip=not args.folder))
    return 0
