"""A tiny, randomly initialised LLaVA model saved with ``save_pretrained``, for the tests' ``llava_hf`` runs.

lmms-eval's ``llava_hf`` backend loads it from a local folder exactly as it loads a real LLaVA
checkpoint (config, weights, tokenizer, image processor, chat template), so the tests exercise the
real generation path on a CPU in seconds. Its answers are random text; its scores mean nothing. The
vocabulary and the weight spread are the shipped tiny Qwen-VL's (``vscbench_task.demo.tiny_qwen_vl``).
Test-only: ``llava_hf`` in lmms-eval 0.7.3 cannot answer text-only requests, so the demo does not use it.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
)

from vscbench_task.demo.tiny_qwen_vl import spread_weights, trained_tokenizer

IMAGE_TOKEN = "<image>"
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>", IMAGE_TOKEN]
# Renders both message shapes lmms-eval sends: plain strings (simple backends, which insert the image
# token themselves) and content lists with image/text items (chat backends).
CHAT_TEMPLATE = (
    "{% for message in messages %}USER: "
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<image>\n{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)
IMAGE_SIZE, PATCH_SIZE = 32, 8


def build(dest: str | Path, *, seed: int = 0) -> Path:
    """Write the tiny LLaVA (weights, tokenizer, processor) to ``dest``; returns ``dest``."""
    dest = Path(dest)
    torch.manual_seed(seed)
    tokenizer = trained_tokenizer(
        SPECIAL_TOKENS,
        CHAT_TEMPLATE,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        extra_special_tokens={"image_token": IMAGE_TOKEN},
    )
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=IMAGE_SIZE,
            patch_size=PATCH_SIZE,
        ),
        text_config=LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4,
            max_position_embeddings=4096,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    model = LlavaForConditionalGeneration(config).eval()
    spread_weights(model)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(dest)
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
        ),
        tokenizer=tokenizer,
        patch_size=PATCH_SIZE,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(dest)
    return dest
