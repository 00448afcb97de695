"""``vscbench lm-eval-tasks-dir``: the lm-evaluation-harness task folder, for ``--include_path``."""

from __future__ import annotations

import argparse

from vscbench_task.hosts.lm_eval import TASKS_DIR


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    print(TASKS_DIR)
    return 0
