"""End to end: the real lmms-eval command line, the real ``llava_hf`` backend, a tiny random LLaVA
loaded from a local folder, the prepared stand-in images; one process and two (torchrun).

The metrics in lmms-eval's results file are recomputed from the logged samples by
``tests/support/oracle.py``, not with the package's own code.

``llava_hf`` cannot serve image-less requests in lmms-eval 0.7.3 (docs/running.md), so it runs the
image-centric task here; the text-centric task runs end to end on the tiny Qwen2.5-VL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import TinyModels
from tests.support.lmms import TORCHRUN, results_file, run_lmms_eval
from tests.support.oracle import image_label_and_group, load_samples, response, scores
from vscbench_task.dataset import metadata

LIMIT = 36  # stratified order: every category, safe and unsafe, three times over


def llava_args(model: Path, task: str = "vscbench_image") -> list[str]:
    return [
        "--model", "llava_hf",
        "--model_args", f"pretrained={model},device=cpu,device_map=cpu,dtype=float32",
        "--batch_size", "1", "--tasks", task, "--limit", str(LIMIT),
        "--gen_kwargs", "max_new_tokens=12",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_llava(tiny_models: TinyModels) -> Path:
    return tiny_models.llava()


@pytest.fixture(scope="module")
def single_run(tiny_llava: Path, prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("llava-1proc")
    proc = run_lmms_eval(llava_args(tiny_llava), prepared_dir, output)
    assert list(output.rglob("*_results.json")), (
        f"lmms-eval wrote no results:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    )
    return output


def test_results_match_independent_recomputation(single_run: Path) -> None:
    results = json.loads(results_file(single_run).read_text())["results"]["vscbench_image"]
    samples = load_samples(single_run, "vscbench_image")
    assert len(samples) == LIMIT
    assert {s["input_media"][0].split("/")[1] for s in samples} == {
        "drugs", "violence", "illegal_activity", "religion", "porngraphy", "discrimination",
    }  # fmt: skip
    expected = scores(samples, image_label_and_group)
    assert len(expected) == 3 + 12
    for name, value in expected.items():
        assert results[f"{name},none"] == pytest.approx(value), name
    assert results["empty_responses,none"] == sum(response(s) == "" for s in samples)
    # the tiny model's answers depend on the input: the pipeline does not mix up or drop images
    assert len({response(s) for s in samples}) > LIMIT // 2


def test_each_doc_gets_its_official_image_and_prompt(single_run: Path) -> None:
    for sample in load_samples(single_run, "vscbench_image"):
        _, row, label, k = sample["sra_u_keyword_judge"]["doc_key"].split("/")
        official = metadata.image_rows()[int(row)]
        assert sample["input_media"] == [
            f"vscbench_image_centric_images/{official['Category']}/{official[f'{label}_img_{k}']}"
        ]
        assert sample["input"] == (official["Prompt"] or "")
        assert sample["target"] == label


def test_two_processes_match_one(single_run: Path, tiny_llava: Path, prepared_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "two"
    proc = run_lmms_eval(llava_args(tiny_llava), prepared_dir, output, launcher=TORCHRUN)
    assert list(output.rglob("*_results.json")), f"torchrun run wrote no results:\n{proc.stderr[-5000:]}"

    def per_doc(out: Path) -> dict[str, tuple[str, dict]]:
        return {
            s["sra_u_keyword_judge"]["doc_key"]: (response(s), s["sra_u_keyword_judge"])
            for s in load_samples(out, "vscbench_image")
        }

    assert per_doc(output) == per_doc(single_run)
    one = json.loads(results_file(single_run).read_text())["results"]["vscbench_image"]
    two = json.loads(results_file(output).read_text())["results"]["vscbench_image"]
    metric_keys = [k for k in one if k.endswith(",none") and "stderr" not in k]
    assert {k: two[k] for k in metric_keys} == {k: one[k] for k in metric_keys}


def test_unprepared_data_stops_before_generation(tiny_llava: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    proc = run_lmms_eval(llava_args(tiny_llava), tmp_path / "no-data", output)
    assert proc.returncode != 0
    assert "vscbench prepare" in proc.stdout + proc.stderr
    assert "Model Responding" not in proc.stderr
    assert not list(output.rglob("*_results.json"))


def test_a_corrupted_image_stops_the_run_naming_the_file(tiny_llava: Path, prepared_dir: Path, tmp_path: Path) -> None:
    """lmms-eval sets LOAD_TRUNCATED_IMAGES for the whole process; the task still refuses a changed file."""
    data_dir = tmp_path / "data"
    shutil.copytree(prepared_dir, data_dir)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    first = "vscbench_image_centric_images/drugs/" + metadata.image_rows()[0]["safe_img_0"]
    target = data_dir / manifest["snapshot"] / first
    target.write_bytes(target.read_bytes()[:-20])  # truncated after prepare
    output = tmp_path / "out"
    proc = run_lmms_eval(llava_args(tiny_llava), data_dir, output)
    assert proc.returncode != 0
    assert f"{target} differs from the image `vscbench prepare` checked" in proc.stdout + proc.stderr
    assert not list(output.rglob("*_results.json"))
