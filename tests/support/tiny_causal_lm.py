"""A tiny, randomly initialised Qwen2 text model saved with ``save_pretrained``, for text-only hosts.

lm-evaluation-harness's ``hf`` backend and inspect_ai's ``hf/`` provider load it from a local folder as
they load a real checkpoint, so the tests run the text-only ``txt`` variant through them on a CPU in
seconds. Its answers are random text; its scores mean nothing. Tokenizer (with Qwen's turn format and no
default system turn), vocabulary and weight spread are the shipped tiny Qwen-VL's.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from vscbench_task.demo.tiny_qwen_vl import (
    CHAT_TEMPLATE,
    END_OF_TEXT,
    IM_END,
    SPECIAL_TOKENS,
    TEXT_TOWERS,
    spread_weights,
    trained_tokenizer,
)


def build(dest: str | Path, *, seed: int = 0) -> Path:
    """Write the tiny text model (weights, tokenizer, chat template) to ``dest``; returns ``dest``."""
    dest = Path(dest)
    torch.manual_seed(seed)
    tokenizer = trained_tokenizer(SPECIAL_TOKENS, CHAT_TEMPLATE, eos_token=IM_END, pad_token=END_OF_TEXT)
    eos, pad = tokenizer.convert_tokens_to_ids(IM_END), tokenizer.convert_tokens_to_ids(END_OF_TEXT)
    hidden, heads, _ = TEXT_TOWERS[16]
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    model = Qwen2ForCausalLM(config).eval()
    spread_weights(model)
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = pad
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    return dest
