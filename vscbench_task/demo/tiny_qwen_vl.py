"""A tiny, randomly initialised Qwen2.5-VL (or Qwen2-VL) saved with ``save_pretrained``, for offline runs.

lmms-eval's ``qwen2_5_vl`` and ``qwen2_vl`` backends load it from a local folder exactly as they load
a real checkpoint, so tests and the demo run the real generation path on a CPU in seconds. Unlike
``llava_hf`` in lmms-eval 0.7.3, these backends answer text-only requests (the ``txt`` variant of
``vscbench_text``) correctly, so this is the model to use for runs over both tasks.

Its answers are random text and its scores mean nothing. Weights are drawn with a larger spread than
the default initialisation: with the default the model emits one constant token whatever the input,
which would hide bugs that mix up docs or images. The vocabulary is trained on the benchmark's own
prompts plus the keyword judge's phrases, so random answers sometimes contain a refusal keyword and
the metrics see both verdicts.

The backends pass their own ``min_pixels``/``max_pixels`` (defaults of a few hundred image tokens) to
the processor, overriding the saved ones: use :func:`model_args` so each image becomes a few tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    PreTrainedTokenizerFast,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen2VLConfig,
    Qwen2VLForConditionalGeneration,
    Qwen2VLImageProcessor,
    Qwen2VLProcessor,
    Qwen2VLVideoProcessor,
)

from vscbench_task.dataset import metadata as md
from vscbench_task.demo import BACKENDS, Backend
from vscbench_task.judges.keyword import KEYWORDS

Variant = Backend
VARIANTS: tuple[Variant, ...] = BACKENDS

IM_START, IM_END, END_OF_TEXT = "<|im_start|>", "<|im_end|>", "<|endoftext|>"
VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD = "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"
SPECIAL_TOKENS = ["<unk>", END_OF_TEXT, IM_START, IM_END, VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD]

# Renders lmms-eval's messages (string content, or lists of {"type": "image"} / {"type": "text"} items)
# in Qwen's turn format; no default system turn, as the benchmark sends the raw prompt.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    f"{IM_START}{{{{ message['role'] }}}}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    f"{{% if item['type'] == 'image' %}}{VISION_START}{IMAGE_PAD}{VISION_END}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}"
    "{% else %}{{ raise_exception('the tiny Qwen-VL chat template takes text and image items only, got a '"
    " ~ item['type'] ~ ' item') }}"
    "{% endif %}{% endfor %}{% endif %}"
    f"{IM_END}\n"
    "{% endfor %}"
    f"{{% if add_generation_prompt %}}{IM_START}assistant\n{{% endif %}}"
)

# One vision patch is 14 px and 2x2 patches merge into one token: images become 1 to 4 tokens.
PATCH_SIZE, MERGE_SIZE = 14, 2
MIN_PIXELS = (PATCH_SIZE * MERGE_SIZE) ** 2
MAX_PIXELS = 4 * MIN_PIXELS
# The text tower by attention head size: (hidden size, heads, multimodal rotary sections (time, height,
# width), which add up to half the head size). 16 is the smallest model; vLLM's CPU attention only takes
# some head sizes (32, 64, 80, ...), so the vLLM script builds the 64 one.
TEXT_TOWERS = {16: (64, 4, [2, 3, 3]), 64: (128, 2, [8, 12, 12])}

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


_CLASSES = {
    "qwen2_5_vl": (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor),
    "qwen2_vl": (Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLProcessor),
}


def _vision_config(variant: Variant, hidden: int) -> dict:
    """The vision tower: 2 blocks of width 32, projecting to the text tower's ``hidden`` size; the two
    families name their sizes differently."""
    shared = {"depth": 2, "num_heads": 2, "patch_size": PATCH_SIZE, "spatial_merge_size": MERGE_SIZE}
    if variant == "qwen2_5_vl":
        # Qwen2.5-VL mixes windowed and full attention: the last block attends over the whole image.
        return {
            **shared,
            "hidden_size": 32,
            "intermediate_size": 64,
            "out_hidden_size": hidden,
            "fullatt_block_indexes": [1],
        }
    return {**shared, "embed_dim": 32, "mlp_ratio": 2, "hidden_size": hidden}


def build(dest: str | Path, *, seed: int = 0, variant: Variant = "qwen2_5_vl", head_dim: int = 16) -> Path:
    """Write the tiny model (weights, tokenizer, processor, chat template) to ``dest``; returns ``dest``.

    ``variant`` names the lmms-eval backend that will load it: ``qwen2_5_vl`` or ``qwen2_vl``;
    ``head_dim`` the attention head size (``TEXT_TOWERS``).
    """
    if variant not in _CLASSES:
        raise ValueError(f"unknown variant {variant!r}: choose one of {', '.join(VARIANTS)}")
    if head_dim not in TEXT_TOWERS:
        raise ValueError(f"unknown head size {head_dim}: choose one of {', '.join(map(str, TEXT_TOWERS))}")
    hidden, heads, mrope_section = TEXT_TOWERS[head_dim]
    config_cls, model_cls, processor_cls = _CLASSES[variant]
    dest = Path(dest)
    torch.manual_seed(seed)
    tokenizer = trained_tokenizer(
        SPECIAL_TOKENS,
        CHAT_TEMPLATE,
        eos_token=IM_END,
        pad_token=END_OF_TEXT,
        extra_special_tokens={"image_token": IMAGE_PAD, "video_token": VIDEO_PAD},
    )
    ids: dict[str, int] = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}  # type: ignore[misc]
    config = config_cls(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_hidden_layers": 2,
            "num_attention_heads": heads,
            "num_key_value_heads": heads,
            "max_position_embeddings": 4096,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": mrope_section},
            "bos_token_id": None,
            "eos_token_id": ids[IM_END],
            "pad_token_id": ids[END_OF_TEXT],
        },
        vision_config=_vision_config(variant, hidden),
        image_token_id=ids[IMAGE_PAD],
        video_token_id=ids[VIDEO_PAD],
        vision_start_token_id=ids[VISION_START],
        vision_end_token_id=ids[VISION_END],
    )
    model = model_cls(config).eval()
    spread_weights(model)
    model.generation_config.eos_token_id = ids[IM_END]
    model.generation_config.pad_token_id = ids[END_OF_TEXT]
    model.save_pretrained(dest)
    pixels = {"min_pixels": MIN_PIXELS, "max_pixels": MAX_PIXELS}
    processor = processor_cls(
        image_processor=Qwen2VLImageProcessor(patch_size=PATCH_SIZE, merge_size=MERGE_SIZE, **pixels),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(patch_size=PATCH_SIZE, merge_size=MERGE_SIZE, **pixels),
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(dest)
    return dest


def model_args(path: str | Path) -> str:
    """The lmms-eval ``--model_args`` that run the tiny model saved at ``path`` on the CPU with tiny images.

    The same string works for both backends (``--model qwen2_5_vl`` or ``--model qwen2_vl``).
    """
    return f"pretrained={path},device=cpu,device_map=cpu,min_pixels={MIN_PIXELS},max_pixels={MAX_PIXELS}"
