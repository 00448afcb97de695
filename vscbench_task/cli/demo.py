"""``vscbench demo``: the whole pipeline offline on a tiny random model and synthetic images."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import whole_number
from vscbench_task.demo import BACKENDS


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--workdir", type=Path, help="where to build everything (default: a new temp folder)")
    # Not llava_hf: in lmms-eval 0.7.3 it cannot answer the text part's image-less requests (docs/running.md).
    cmd.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0], help="lmms-eval backend")
    cmd.add_argument(
        "--limit",
        type=whole_number(0, "--limit"),
        default=180,
        help="docs per task, in the tasks' stratified order (default 180: every category, type and variant); 0 = all",
    )
    cmd.add_argument(
        "--max-new-tokens", type=whole_number(1, "--max-new-tokens"), default=16, help="answer length cap (default 16)"
    )


def run(args: argparse.Namespace) -> int:
    import tempfile

    from vscbench_task.demo.run import demo

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vscbench-demo-"))
    demo(workdir, backend=args.backend, limit=args.limit or None, max_new_tokens=args.max_new_tokens)
    return 0
