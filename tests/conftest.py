"""Shared fixtures: a prepared stand-in data directory, tiny local VLMs, and a runner for the real
lmms-eval command line (which exits 0 even when evaluation fails, so callers check the files)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vscbench_task import datadir
from vscbench_task.demo import standin_archive, tiny_vlm
from vscbench_task.prepare import prepare

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def standin_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extracted stand-in of the authors' archive (all official file names, 16 px pictures)."""
    return standin_archive.build(tmp_path_factory.mktemp("standin") / "extracted", size=16, as_zip=False)


@pytest.fixture(scope="session")
def prepared_dir(standin_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory prepared from the stand-in by the real ``prepare``."""
    data_dir = tmp_path_factory.mktemp("prepared") / "data"
    prepare(standin_folder, data_dir)
    datadir.require_prepared(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def tiny_llava(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_vlm.build(tmp_path_factory.mktemp("models") / "tiny-llava")


def lmms_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for an offline lmms-eval subprocess reading ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VSCBENCH_"))}
    env.update(
        {
            datadir.ENV_VAR: str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": "1",
            **extra,
        }
    )
    return env


def run_lmms_eval(
    args: list[str], data_dir: Path, output: Path, *, launcher: list[str] | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run ``lmms-eval`` (optionally under a launcher such as torchrun) with the VSCBench tasks included,
    from the output's parent folder."""
    tasks_dir = subprocess.run([BIN / "vscbench", "tasks-dir"], capture_output=True, text=True, check=True).stdout
    command = [*(launcher or [str(BIN / "lmms-eval")]), *args]
    command += ["--include_path", tasks_dir.strip(), "--log_samples", "--output_path", str(output)]
    # From an unrelated working directory: the tasks must not depend on where lmms-eval is started.
    cwd = output.parent if output.parent.is_dir() else None
    return subprocess.run(command, capture_output=True, text=True, env=lmms_env(data_dir, **env), timeout=900, cwd=cwd)


def results_file(output: Path) -> Path:
    """The single results file lmms-eval wrote under ``output`` (fails the test if there is none)."""
    found = sorted(output.rglob("*_results.json"))
    assert len(found) == 1, f"expected one results file under {output}, found {found}"
    return found[0]


@pytest.fixture
def clean_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    return out
