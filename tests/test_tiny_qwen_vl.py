"""The tiny Qwen-VL models: their processor renders lmms-eval's messages, and lmms-eval's real
``qwen2_5_vl`` and ``qwen2_vl`` backends answer both VSCBench tasks with them, image docs and the
image-less ``txt`` docs alike, on the prepared stand-in images."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from jinja2.exceptions import TemplateError
from PIL import Image
from transformers import AutoProcessor

from tests.conftest import results_file, run_lmms_eval
from vscbench_task.demo import tiny_qwen_vl
from vscbench_task.lmms_outputs import Run, load_run

LIMIT = 12  # stratified order: every image category safe and unsafe; text docs of the txt variant


@pytest.fixture(scope="module", params=tiny_qwen_vl.VARIANTS)
def tiny_qwen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    variant = request.param
    return variant, tiny_qwen_vl.build(tmp_path_factory.mktemp("models") / variant, variant=variant)


def test_processor_renders_chat_messages_with_few_image_tokens(tiny_qwen: tuple[str, Path]) -> None:
    processor = AutoProcessor.from_pretrained(tiny_qwen[1])
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is shown?"}]},
    ]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What is shown?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    inputs = processor(text=[text], images=[Image.new("RGB", (640, 480), "red")], return_tensors="pt")
    image_tokens = int((inputs["input_ids"] == processor.image_token_id).sum())
    assert image_tokens == int(inputs["image_grid_thw"].prod()) // tiny_qwen_vl.MERGE_SIZE**2
    assert 1 <= image_tokens <= 4


def test_chat_template_refuses_content_it_cannot_render(tiny_qwen: tuple[str, Path]) -> None:
    processor = AutoProcessor.from_pretrained(tiny_qwen[1])
    with pytest.raises(TemplateError, match="text and image items only, got a video item"):
        processor.apply_chat_template([{"role": "user", "content": [{"type": "video"}]}], tokenize=False)


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown variant 'llava': choose one of qwen2_5_vl, qwen2_vl"):
        tiny_qwen_vl.build(tmp_path, variant="llava")  # type: ignore[arg-type]


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


@pytest.mark.e2e
def test_backend_answers_image_and_text_only_docs(lmms_run: tuple[subprocess.CompletedProcess, Run]) -> None:
    process, run = lmms_run
    assert "Traceback" not in process.stderr and "| ERROR" not in process.stderr, process.stderr[-3000:]
    assert set(run.results["results"]) >= {"vscbench_image", "vscbench_text"}  # via the `vscbench` group
    assert sorted(run.results["group_subtasks"]["vscbench"]) == ["vscbench_image", "vscbench_text"]
    image, text = run.records["vscbench_image"], run.records["vscbench_text"]
    assert len(image) == len(text) == LIMIT
    assert {r["variant"] for r in text} == {"txt"}, "the limit no longer reaches image-less docs"
    empty = [r["doc_key"] for r in image + text if not r["response"].strip()]
    assert not empty, f"empty answers for {empty}"
    responses = [r["response"] for r in image + text]
    assert len(set(responses)) == len(responses), "different docs got the same answer"


@pytest.mark.e2e
def test_answers_depend_on_the_image(lmms_run: tuple[subprocess.CompletedProcess, Run]) -> None:
    """Docs of one image row share the prompt and differ only in the picture, so their answers must differ."""
    by_row: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    for record in lmms_run[1].records["vscbench_image"]:
        by_row[record["row"]].add(record["response"])
        counts[record["row"]] += 1
    shared = [row for row, n in counts.items() if n > 1]
    assert shared, "no two image docs of the same row within the limit"
    assert all(len(by_row[row]) == counts[row] for row in shared)
