"""The bundled-suite example of docs/running.md: an lmms-eval ``--config`` file with the ``vscbench`` group and an
``env:`` block, plus ``--include_path`` on the command line (dummy model)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.lmms import LMMS_EVAL, REPO, offline_env, results_file
from vscbench_task.hosts.lmms_eval import TASKS_DIR as TASK_YAML_DIR


def documented_config() -> str:
    text = (REPO / "docs" / "running.md").read_text()
    return text.split("# suite.yaml", 1)[1].split("\n", 1)[1].split("```", 1)[0]


def test_the_documented_suite_config_runs(prepared_dir: Path, tmp_path: Path) -> None:
    config = documented_config()
    config = config.replace("qwen2_5_vl", "dummy").replace("pretrained=Qwen/Qwen2.5-VL-7B-Instruct", "response=Sure.")
    config = config.replace("results/vscbench/", str(tmp_path / "results")).replace(
        "$HOME/.cache/vscbench", "$TEST_DATA"
    )
    (tmp_path / "suite.yaml").write_text(config + "  limit: 12\n")
    env = offline_env(tmp_path / "elsewhere", TEST_DATA=str(prepared_dir))  # the config's env: block sets the data dir
    command = [*LMMS_EVAL, "--config", str(tmp_path / "suite.yaml"), "--include_path", str(TASK_YAML_DIR)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
    results = json.loads(results_file(tmp_path / "results").read_text())["results"]
    assert {"vscbench", "vscbench_image", "vscbench_text"} <= set(results), done.stderr[-3000:]
    assert results["vscbench_image"]["sra_s_keyword_judge,none"] == 1.0  # "Sure." to every safe image
