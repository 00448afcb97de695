"""What several commands' options share: checked number types, help texts, the bootstrap options."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from vscbench_task.dataset import datadir
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES, MIN_RESAMPLES

RUN_HELP = "a model's run: lmms-eval or lm-eval --output_path folder or results file, an inspect_ai log, a samples file"
PARTIAL_HELP = "score a samples file shorter than its run (truncated): the outputs are marked partial"
VALIDATION_HELP = (
    "a validate-judge validation.json for the LLM judge (default: the one validate-judge saved beside the cache)"
)
DATA_DIR_HELP = f"data directory (default: ${datadir.ENV_VAR}, else ~/.cache/vscbench)"
JUDGE_HELP = "keyword (official, offline) or llm (official LLM judge)"
VERDICTS_HELP = (
    "a verdict file (vscbench verdicts export) to score the LLM judge's readings from, with no judge: a plain FILE "
    "for one run, RUN=FILE (repeated) for several"
)


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


def verdicts_of_runs(given: Sequence[str], runs: Sequence[str], option: str) -> dict[str, Path]:
    """Each run's verdict file from ``--verdicts`` values: a plain FILE when there is one run, else ``RUN=FILE``
    per run, RUN spelled as on the command line (or another path to the same file or folder). Every run
    needs one; a run named twice, or a RUN that names no run given, is a usage error."""
    from vscbench_task.cli import UsageError

    if len(given) == 1 and len(runs) == 1 and not _split(given[0], runs):
        return {runs[0]: Path(given[0])}
    found: dict[str, Path] = {}
    for value in given:
        pair = _split(value, runs)
        if pair is None:
            raise UsageError(
                f"{option} {value!r}: give RUN=FILE, RUN being one of the runs given ({', '.join(runs)}); a plain "
                "FILE only when there is one run"
            )
        if pair[0] in found:
            raise UsageError(f"{option}: two verdict files for {pair[0]}")
        found[pair[0]] = pair[1]
    missing = [run for run in runs if run not in found]
    if missing:
        raise UsageError(f"{option}: no verdict file for {', '.join(missing)}: give one per run (RUN=FILE)")
    return found


def _split(value: str, runs: Sequence[str]) -> tuple[str, Path] | None:
    """``(run, file)`` if ``value`` is ``RUN=FILE`` for one of ``runs`` (paths may hold ``=`` themselves)."""
    for at in (i for i, c in enumerate(value) if c == "="):
        left = Path(value[:at])
        for run in runs:
            if left == Path(run) or (left.exists() and Path(run).exists() and left.resolve() == Path(run).resolve()):
                return run, Path(value[at + 1 :])
    return None


def refuse_past_gates(failing: Sequence[str], what: str) -> None:
    """Exit 1 naming each gate ``failing`` (``what`` says who fell short, and that the files were written);
    nothing when every gate passes."""
    from vscbench_task.errors import VSCBenchError

    if failing:
        listing = "\n".join(f"  - {reason}" for reason in failing)
        raise VSCBenchError(f"{what}:\n{listing}")
