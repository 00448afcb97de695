"""A tiny, randomly initialised LLaVA model saved with ``save_pretrained``, for offline runs.

lmms-eval's ``llava_hf`` backend loads it from a local folder exactly as it loads a real LLaVA
checkpoint (config, weights, tokenizer, image processor, chat template), so tests and the demo
exercise the real generation path on a CPU in seconds. Its answers are random text; its scores
mean nothing.

Weights are drawn with a larger spread than the default initialisation: with the default the model
emits one constant token whatever the input, which would hide bugs that mix up docs or images.
The vocabulary is trained on the benchmark's own prompts plus the keyword judge's phrases, so
random answers sometimes contain a refusal keyword and the metrics see both verdicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

from vscbench_task import metadata as md
from vscbench_task.keyword_judge import KEYWORDS

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
WEIGHT_STD = 0.6


# Repeating the judge's phrases makes most of them single tokens, so a random 16-token answer holds a
# refusal keyword fairly often and demo/test runs see both verdicts (not SRA_u = 0 everywhere).
KEYWORD_REPEATS = 200


def _corpus() -> list[str]:
    texts = [r["Prompt"] or "" for r in md.image_rows()]
    texts += [r[c] for r in md.text_rows() for c in ("prompt_origin", "prompt_mm")]
    phrases = [f" {k}" for k in KEYWORDS] * KEYWORD_REPEATS
    return [*texts, md.FIGSTEP_PROMPT, *phrases, "I am sorry, I cannot help with that request."]


def trained_tokenizer(special_tokens: list[str], chat_template: str, **roles: Any) -> PreTrainedTokenizerFast:
    """A byte-level BPE trained on the benchmark corpus, with ``special_tokens`` first in its vocabulary.

    Shared by the tiny models so each family only names its own special tokens: ``special_tokens``
    must include ``<unk>`` (characters absent from the corpus map to it); ``roles`` are passed to
    ``PreTrainedTokenizerFast`` to say which is which (``eos_token=...``, ``extra_special_tokens=...``).
    """
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=special_tokens, show_progress=False)
    tokenizer.train_from_iterator(_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", chat_template=chat_template, **roles)


def spread_weights(model: torch.nn.Module) -> None:
    """Redraw the weight matrices with a larger spread so the greedy output depends on the input."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() > 1 and "norm" not in name:
                param.normal_(0.0, WEIGHT_STD / param.shape[-1] ** 0.5 * 4)


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
