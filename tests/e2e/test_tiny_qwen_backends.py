"""lmms-eval's real ``qwen2_5_vl`` and ``qwen2_vl`` backends answer the ``vscbench`` group with the tiny
Qwen-VL models, image docs and the image-less ``txt`` docs alike, on the prepared stand-in images."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import TinyModels
from tests.support.lmms import results_file, run_lmms_eval
from vscbench_task.demo import tiny_qwen_vl
from vscbench_task.hosts.lmms_eval.outputs import Run, load_run

LIMIT = 12  # stratified order: every image category safe and unsafe; text docs of the txt variant


@pytest.fixture(scope="module", params=tiny_qwen_vl.VARIANTS)
def tiny_qwen(request: pytest.FixtureRequest, tiny_models: TinyModels) -> tuple[str, Path]:
    return request.param, tiny_models.qwen(request.param)


@pytest.fixture(scope="module")
def lmms_run(
    tiny_qwen: tuple[str, Path], prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess, Run]:
    variant, model = tiny_qwen
    output = tmp_path_factory.mktemp(f"out-{variant}")
    args = [
        "--model", variant, "--model_args", tiny_qwen_vl.model_args(model),
        "--batch_size", "1", "--tasks", "vscbench", "--limit", str(LIMIT),
        "--gen_kwargs", "max_new_tokens=16",
    ]  # fmt: skip
    process = run_lmms_eval(args, prepared_dir, output)
    return process, load_run(results_file(output))


def test_backend_answers_image_and_text_only_docs(lmms_run: tuple[subprocess.CompletedProcess, Run]) -> None:
    process, run = lmms_run
    assert "Traceback" not in process.stderr and "| ERROR" not in process.stderr, process.stderr[-3000:]
    assert set(run.results["results"]) >= {"vscbench_image", "vscbench_text"}  # via the `vscbench` group
    assert sorted(run.results["group_subtasks"]["vscbench"]) == ["vscbench_image", "vscbench_text"]
    parts = [
        run.results["results"][task]["sra_mean_keyword_judge,none"] for task in ("vscbench_image", "vscbench_text")
    ]
    assert run.results["results"]["vscbench"]["sra_mean_keyword_judge,none"] == pytest.approx(sum(parts) / 2)
    assert run.results["higher_is_better"]["vscbench_image"]["empty_responses"] is None  # a count: no arrow
    image, text = run.responses["vscbench_image"], run.responses["vscbench_text"]
    assert len(image) == len(text) == LIMIT
    assert {r.item.variant for r in text} == {"txt"}, "the limit no longer reaches image-less docs"
    empty = [r.doc_key for r in image + text if not r.response.strip()]
    assert not empty, f"empty answers for {empty}"
    responses = [r.response for r in image + text]
    assert len(set(responses)) == len(responses), "different docs got the same answer"


def test_answers_depend_on_the_image(lmms_run: tuple[subprocess.CompletedProcess, Run]) -> None:
    """Docs of one image row share the prompt and differ only in the picture, so their answers must differ."""
    by_row: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    for response in lmms_run[1].responses["vscbench_image"]:
        by_row[response.item.row].add(response.response)
        counts[response.item.row] += 1
    shared = [row for row, n in counts.items() if n > 1]
    assert shared, "no two image docs of the same row within the limit"
    assert all(len(by_row[row]) == counts[row] for row in shared)
