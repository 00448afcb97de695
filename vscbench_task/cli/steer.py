"""``vscbench steer fit``: activation-steering directions for a model, from the calibration split."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import DATA_DIR_HELP, whole_number

DESCRIPTION = (
    "Activation steering (the vscbench_steer lmms-eval model). `fit` computes, for a model loaded by an lmms-eval "
    "backend, the mean activation of the unsafe calibration inputs minus that of the safe ones at the last prompt "
    "token, per decoder layer and per attention head, with every input built by the backend itself; it writes "
    "them to a safetensors file and prints the lmms-eval commands of the default sweep. See the calibration guide."
)
PARTS = ("image", "text")


def _parts(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names or any(name not in PARTS for name in names):
        raise argparse.ArgumentTypeError(f"--parts takes a comma-separated list of image, text; got {text!r}")
    return names


def _alphas(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(value) for value in text.split(",") if value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--alphas takes comma-separated numbers, got {text!r}") from None
    if not values or any(value != value or abs(value) == float("inf") for value in values):
        raise argparse.ArgumentTypeError(f"--alphas takes comma-separated finite numbers, got {text!r}")
    return values


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    from vscbench_task.hosts.lmms_eval.steer_args import DEFAULT_SWEEP

    actions = cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    fit = actions.add_parser(
        "fit", help="fit the directions of a model on the calibration split", description=DESCRIPTION
    )
    fit.add_argument(
        "--model", required=True, help="the lmms-eval backend, as for lmms-eval (e.g. qwen2_5_vl, llava_hf)"
    )
    fit.add_argument("--model_args", required=True, help="its lmms-eval --model_args (pretrained=..., device=...)")
    fit.add_argument("--out", type=Path, required=True, help="the direction file to write (.safetensors)")
    fit.add_argument("--parts", type=_parts, default=PARTS, help="calibration inputs of image, text or both (default)")
    fit.add_argument("--force-simple", action="store_true", help="use the backend's simple class, as --force_simple")
    fit.add_argument(
        "--limit", type=whole_number(2, "--limit"), help="only the first N calibration docs of each part (a smoke test)"
    )
    fit.add_argument(
        "--alphas",
        type=_alphas,
        default=DEFAULT_SWEEP,
        help=f"the alphas of the sweep whose commands are printed (default {','.join(map(str, DEFAULT_SWEEP))})",
    )
    fit.add_argument("--data-dir", help=DATA_DIR_HELP)


def run(args: argparse.Namespace) -> int:
    import os

    from vscbench_task.calibration.steering.directions import save
    from vscbench_task.dataset import datadir
    from vscbench_task.hosts.lmms_eval.steer_fit import fit_directions, summary
    from vscbench_task.output_files import check_file_target

    if args.data_dir:
        os.environ[datadir.ENV_VAR] = str(datadir.resolve(args.data_dir))
    kept, folders = datadir.kept_paths(datadir.resolve())
    check_file_target(args.out, "--out", kept, folders)
    directions = fit_directions(
        args.model, args.model_args, parts=args.parts, limit=args.limit, force_simple=args.force_simple
    )
    save(directions, args.out)
    print(summary(directions, args.out, args.model, args.model_args, args.alphas))
    return 0
