"""The embedded default: a synthetic stand-in archive and a tiny random VLM, so the whole pipeline
(prepare -> lmms-eval -> scores) runs with no download and no GPU. Scores from it mean nothing."""

from typing import Literal

Backend = Literal["qwen2_5_vl", "qwen2_vl"]
# The lmms-eval backends the tiny model is built for (not llava_hf: docs/running.md).
BACKENDS: tuple[Backend, ...] = ("qwen2_5_vl", "qwen2_vl")
HEAD_DIMS = (16, 64)  # the builder's attention head sizes: 16 the smallest, 64 for vLLM's CPU attention
