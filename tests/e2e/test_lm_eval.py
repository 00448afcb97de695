"""lm-evaluation-harness end to end: its real command line with the shipped task folder, on the tiny
Qwen2-VL through ``hf-multimodal`` (the tasks with images, then the txt task: lm-eval's multimodal
backends take them in separate runs), then ``vscbench rescore`` merging the text part."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TinyModels
from tests.support.lmms import offline_env, run_vscbench
from vscbench_task.demo import tiny_qwen_vl
from vscbench_task.hosts.lm_eval import TASKS_DIR as LM_EVAL_TASKS_DIR
from vscbench_task.hosts.lm_eval.task_table import task_items
from vscbench_task.hosts.readers import load_run

LIMIT = 12  # per task: the first 12 in the stratified order hold safe and unsafe docs of every category


def lm_eval(args: list[str], data_dir: Path, output: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "lm_eval", "run", *args, "--include_path", str(LM_EVAL_TASKS_DIR)]
    command += ["--log_samples", "--output_path", str(output)]
    return subprocess.run(command, capture_output=True, text=True, env=offline_env(data_dir), timeout=900)


def _model_args(path: Path) -> str:
    pixels = f"min_pixels={tiny_qwen_vl.MIN_PIXELS},max_pixels={tiny_qwen_vl.MAX_PIXELS}"
    return f"pretrained={path},{pixels},dtype=float32"


@pytest.fixture(scope="module")
def lm_eval_run(tiny_models: TinyModels, prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("lm-eval") / "out"
    common = ["--model", "hf-multimodal", "--model_args", _model_args(tiny_models.qwen("qwen2_vl")), "--device", "cpu"]
    common += ["--apply_chat_template", "--limit", str(LIMIT), "--gen_kwargs", "max_gen_toks=8"]
    for tasks in ("vscbench_multimodal", "vscbench_text_txt"):
        done = lm_eval([*common, "--tasks", tasks], prepared_dir, output)
        assert done.returncode == 0, done.stderr[-4000:]
    return output


def test_both_runs_land_in_one_model_folder_and_read_as_one_run(lm_eval_run: Path) -> None:
    run = load_run(lm_eval_run)
    assert run.host == "lm-eval" and run.model.endswith("qwen2_vl-seed0") and not run.partial
    assert [r.doc_key for r in run.responses["vscbench_image"]] == [
        i.doc_key for i in task_items("vscbench_image")[:LIMIT]
    ]
    assert len(run.responses["vscbench_text"]) == 2 * LIMIT
    assert any(r.response for r in run.responses["vscbench_text"])  # the tiny model answered something


def test_rescore_equals_lm_evals_own_figures_for_the_image_part(lm_eval_run: Path, prepared_dir: Path) -> None:
    done = run_vscbench(["rescore", str(lm_eval_run), "--judge", "keyword"], prepared_dir)
    assert done.returncode == 0, done.stderr
    (rescored,) = lm_eval_run.rglob("lm-eval_*_rescore_keyword.json")
    results = [json.loads(p.read_text())["results"] for p in lm_eval_run.rglob("results_*.json")]
    own = next(r["vscbench_image"] for r in results if "vscbench_image" in r)
    mine = json.loads(rescored.read_text())["results"]["vscbench_image"]  # NaN written as null
    own = {k: v for k, v in own.items() if k.endswith(",none") and "stderr" not in k}
    assert own.keys() == {k for k in mine if k != "alias"}
    for name, value in own.items():
        assert value == mine[name] or (math.isnan(value) and mine[name] is None), name
    assert json.loads(rescored.read_text())["vscbench"]["counts"]["vscbench_text"]["docs"] == 2 * LIMIT


def test_unprepared_images_stop_lm_eval_before_the_model_runs(tmp_path: Path) -> None:
    done = lm_eval(["--model", "dummy", "--tasks", "vscbench_image"], tmp_path / "no-data", tmp_path / "out")
    assert done.returncode != 0
    assert "vscbench: VSCBench images are not prepared: no prepared VSCBench images" in done.stderr + done.stdout
