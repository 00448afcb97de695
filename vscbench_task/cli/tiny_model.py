"""``vscbench tiny-model``: the demo's tiny random Qwen-VL, and the lmms-eval options that run it."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import whole_number
from vscbench_task.demo import BACKENDS, HEAD_DIMS


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("dest", type=Path, help="the folder to write the model into")
    cmd.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0], help="lmms-eval backend")
    cmd.add_argument("--seed", type=whole_number(0, "--seed"), default=0, help="weight seed (default 0)")
    cmd.add_argument(
        "--head-dim",
        type=int,
        choices=HEAD_DIMS,
        default=HEAD_DIMS[0],
        help="attention head size (default 16, the smallest model; 64 for vLLM's CPU attention, which rejects 16)",
    )


def run(args: argparse.Namespace) -> int:
    from vscbench_task.demo import tiny_qwen_vl

    path = tiny_qwen_vl.build(args.dest, seed=args.seed, variant=args.backend, head_dim=args.head_dim)
    print(f"--model {args.backend} --model_args {tiny_qwen_vl.model_args(path)}")
    return 0
