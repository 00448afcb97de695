"""How the benchmark asks: the generation settings every host's tasks send, from this one place.

The lmms-eval and lm-evaluation-harness task files are generated from these (``scripts/
generate_task_yaml.py``), the inspect_ai tasks read them, and ``vscbench export`` writes them beside
each request, so a model is asked the same way whichever host runs it.

Greedy decoding, no system prompt, the raw prompt, and 2,048 new tokens: room for a full answer and its
closing caveats (FigStep asks for ~300 words; the keyword judge reads to the end), while prompt + answer
still fit 4k-context models under vLLM. The authors' API calls allowed 4,096.
"""

from __future__ import annotations

MAX_NEW_TOKENS = 2048
TEMPERATURE = 0.0
SYSTEM_PROMPT: str | None = None  # none: the raw prompt is the whole request


def as_request_fields() -> dict[str, object]:
    """The settings as the fields of an exported request (OpenAI's names)."""
    return {"max_tokens": MAX_NEW_TOKENS, "temperature": TEMPERATURE, "system_prompt": SYSTEM_PROMPT}
