"""The ``vscbench`` command line: a registry of commands, each in a module of its own.

``COMMANDS`` names every command and its one-line summary; the module ``vscbench_task.cli.<name>``
(dashes as underscores) adds the command's options (``add_arguments``) and runs it (``run``). Only the
module of the command being run is imported (as pip does with its ``commands/``), and a command module
imports the work it dispatches to only inside ``run``, so ``vscbench tasks-dir`` (inside every lmms-eval
command line a user types) and ``vscbench --help`` start about as fast as Python itself
(docs/benchmarks/cli.md) however many commands there are.

Exit codes, the same for every command: 0 done; 1 a problem with the data, a run's files, a judge or a
setting (the message says what and how to fix it); 2 a usage error (bad or missing options).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from vscbench_task.errors import VSCBenchError


class UsageError(VSCBenchError):
    """Options that do not go together, which argparse cannot check: exit code 2, as its own errors."""


EXIT_CODES = "exit codes: 0 done; 1 a data, run, judge or settings problem (the message says how to fix it); 2 usage"

COMMANDS: dict[str, str] = {
    "prepare": "check the authors' image archive and install its images into the data directory",
    "verify": "re-check a prepared data directory: every image present, unmodified, decodable",
    "tasks-dir": "print the lmms-eval task folder (pass it to lmms-eval --include_path)",
    "lm-eval-tasks-dir": "print the lm-evaluation-harness task folder (pass it to lm_eval --include_path)",
    "export": "write the benchmark's requests for another generator: JSON Lines, or a VLMEvalKit-style TSV",
    "rescore": "recompute all metrics of a logged run (any host) or a responses file with a judge (no model needed)",
    "report": "leaderboard, breakdowns, paired metrics and plots from models' runs",
    "verdicts": "export a run's LLM judge verdicts: a file that reproduces its figures with no judge (verdicts export)",
    "compare-judges": (
        "two judges on the same runs: agreement with intervals, class confusion, each model's SRA shift and rank change"
    ),
    "compare-methods": "compare calibration methods with a baseline: paired differences of SRA_u, SRA_s, mean",
    "steer": "activation steering: `steer fit` computes a model's directions from the calibration split",
    "validate-judge": (
        "measure a judge against human-labelled responses (MSTS, XSTest): accuracy, kappa, per-model SRA error"
    ),
    "annotate": "label a sample of a run's responses in a local page; two annotators' agreement; the gold file",
    "demo": "run the whole pipeline offline on a tiny random model and synthetic images (scores mean nothing)",
    "standin-archive": (
        "write the demo's synthetic stand-in of the authors' image archive (official file names, generated pictures)"
    ),
    "tiny-model": (
        "write the demo's tiny random Qwen-VL (save_pretrained) and print the lmms-eval options that run it on a CPU"
    ),
}


def command_module(name: str) -> ModuleType:
    """The module of command ``name``: ``add_arguments(parser)``, ``run(args) -> int``, and optionally a
    ``DESCRIPTION`` longer than the summary."""
    return importlib.import_module(f"vscbench_task.cli.{name.replace('-', '_')}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; the options of a command are added only for the command ``argv`` names (``None``:
    every command's, for tools that list them)."""
    parser = argparse.ArgumentParser(
        prog="vscbench", description="VSCBench (visual safety calibration) as lmms-eval tasks.", epilog=EXIT_CODES
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    for name, summary in COMMANDS.items():
        module = command_module(name) if argv is None or name == named else None
        description = getattr(module, "DESCRIPTION", summary)
        cmd = sub.add_parser(name, help=summary, description=description, epilog=EXIT_CODES)
        if module is not None:
            module.add_arguments(cmd)
            cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (argparse exits 2 itself on a usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.run(args))
    except VSCBenchError as err:
        print(f"vscbench {args.command}: error: {err}", file=sys.stderr)
        return 2 if isinstance(err, UsageError) else 1
