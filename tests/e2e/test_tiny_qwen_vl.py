"""The tiny Qwen-VL models of the demo: their processor renders lmms-eval's messages with few image tokens.

In the slow lane: building the models imports torch and transformers (seconds before the first test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.exceptions import TemplateError
from PIL import Image
from transformers import AutoProcessor

from tests.conftest import TinyModels
from vscbench_task.demo import tiny_qwen_vl


@pytest.fixture(params=tiny_qwen_vl.VARIANTS)
def tiny_qwen(request: pytest.FixtureRequest, tiny_models: TinyModels) -> tuple[str, Path]:
    return request.param, tiny_models.qwen(request.param)


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
