"""Running the checkout under test as a user would: the ``vscbench`` command and the real lmms-eval
command line in subprocesses, offline, with ``PYTHONPATH`` pointing at this checkout so that neither
can pick up another installed copy of the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vscbench_task.dataset import datadir
from vscbench_task.hosts.lmms_eval import TASKS_DIR as LMMS_TASKS_DIR

REPO = Path(__file__).resolve().parents[2]
VSCBENCH = [sys.executable, "-m", "vscbench_task.cli"]
LMMS_EVAL = [sys.executable, "-m", "lmms_eval"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "lmms_eval"]


def offline_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for an offline subprocess reading ``data_dir``, importing this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VSCBENCH_", "AZURE_", "API_"))}
    env.update(
        {
            datadir.ENV_VAR: str(data_dir),
            "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": "1",
            **extra,
        }
    )
    return env


def inspect_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """``offline_env`` without ``PYTHONPATH``, for inspect_ai: it names a package's tasks
    ``vscbench_task/...`` only when the package is installed, and with this checkout on ``PYTHONPATH``
    it finds the checkout's ``vscbench_task.egg-info`` first and takes it for a plain folder (so does
    ``python -m`` started in the checkout: start it elsewhere). The editable install the tests run from
    is this checkout (``test_the_inspect_tasks_run_this_checkout``)."""
    env = offline_env(data_dir, **extra)
    env.pop("PYTHONPATH")
    return env


def run_vscbench(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """``vscbench ARGS`` from this checkout."""
    return subprocess.run(
        [*VSCBENCH, *args], capture_output=True, text=True, env=offline_env(data_dir, **env), timeout=900, check=False
    )


def run_lmms_eval(
    args: list[str], data_dir: Path, output: Path, *, launcher: list[str] | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run lmms-eval (optionally under a launcher such as ``TORCHRUN``) with this checkout's task folder,
    from the output's parent folder: the tasks must not depend on where lmms-eval is started."""
    command = [*(launcher or LMMS_EVAL), *args]
    command += ["--include_path", str(LMMS_TASKS_DIR), "--log_samples", "--output_path", str(output)]
    cwd = output.parent if output.parent.is_dir() else None
    return subprocess.run(
        command, capture_output=True, text=True, env=offline_env(data_dir, **env), timeout=900, cwd=cwd
    )


def results_file(output: Path) -> Path:
    """The single results file lmms-eval wrote under ``output`` (fails the test if there is none)."""
    found = sorted(output.rglob("*_results.json"))
    assert len(found) == 1, f"expected one results file under {output}, found {found}"
    return found[0]
