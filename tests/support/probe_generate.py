"""Run the lmms-eval command line with every Hugging Face ``generate`` call recorded: what reached the model.

``python tests/support/probe_generate.py <lmms-eval arguments>`` with ``VSCBENCH_PROBE_LOG=FILE`` appends one
JSON line per call: the prompt's token ids (the first row of the batch) and the number of image tokens,
then generates as usual. Tests compare the ids with the text they expect, rendered by the model's own
processor, so nothing is inferred from lmms-eval's logged ``input`` (which is not what chat backends send).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from transformers.generation.utils import GenerationMixin

_generate = GenerationMixin.generate


def _recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
    ids = kwargs.get("input_ids", args[0] if args else None)
    token = getattr(self.config, "image_token_id", None) or getattr(self.config, "image_token_index", None)
    entry = {"input_ids": ids[0].tolist(), "image_tokens": int((ids[0] == token).sum()) if token is not None else None}
    with open(os.environ["VSCBENCH_PROBE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    return _generate(self, *args, **kwargs)


if __name__ == "__main__":
    GenerationMixin.generate = _recorded  # type: ignore[method-assign]
    from lmms_eval.__main__ import cli_evaluate

    sys.argv = ["lmms_eval", *sys.argv[1:]]
    cli_evaluate()
