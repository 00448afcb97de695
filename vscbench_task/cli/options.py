"""What several commands' options share: checked number types, help texts, the bootstrap options."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from vscbench_task.dataset import datadir
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES, MIN_RESAMPLES

RUN_HELP = "a model's run: lmms-eval or lm-eval --output_path folder or results file, an inspect_ai log, a samples file"
PARTIAL_HELP = "score a samples file shorter than its run (truncated): the outputs are marked partial"
VALIDATION_HELP = (
    "a validate-judge validation.json for the LLM judge (default: the one validate-judge saved beside the cache)"
)
DATA_DIR_HELP = f"data directory (default: ${datadir.ENV_VAR}, else ~/.cache/vscbench)"
JUDGE_HELP = "keyword (official, offline) or llm (official LLM judge)"


def whole_number(minimum: int, what: str, maximum: int | None = None, why: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` (to ``maximum``), with a message naming the option
    (and ``why`` the minimum is what it is)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}{why}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{what} must be at most {maximum:,}, got {value:,}")
        return value

    return parse


def number(minimum: float, maximum: float, what: str) -> Callable[[str], float]:
    """An argparse type: a finite number in [minimum, maximum]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not minimum <= value <= maximum:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{what} must be between {minimum:g} and {maximum:g}, got {text}")
        return value

    return parse


def bootstrap_options(cmd: argparse.ArgumentParser) -> None:
    """``--seed`` and ``--resamples`` of the bootstrap intervals."""
    cmd.add_argument(
        "--seed", type=whole_number(0, "--seed"), default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})"
    )
    cmd.add_argument(
        "--resamples",
        type=whole_number(
            MIN_RESAMPLES,
            "--resamples",
            MAX_RESAMPLES,
            " (fewer draws give a 95% interval that can miss its own point estimate)",
        ),
        default=DEFAULT_RESAMPLES,
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES:,}; from {MIN_RESAMPLES} to {MAX_RESAMPLES:,})",
    )
