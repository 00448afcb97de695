"""The replay model (``replay.reply``) as an lm-evaluation-harness model, and lm-eval's CLI with it.

    python tests/support/replay_lm_eval.py --model vscbench_replay --tasks ... [any lm_eval option]

lm-eval has no plugin hook for models, so this registers ``vscbench_replay`` and then runs lm-eval's
own command line. The model answers each request from what lm-eval hands a model: the context (the
image marker, then the prompt) and the decoded images. ``VSCBENCH_REPLAY_LOG`` names a JSON Lines file
that gets each request's generation settings.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: tests.support importable

from lm_eval.__main__ import cli_evaluate
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from tests.support.replay import pixels_sha, reply
from vscbench_task.hosts.lm_eval.hooks import IMAGE_MARKER


@register_model("vscbench_replay")
class ReplayLM(LM):
    """Answers ``generate_until`` requests as the replay model; no other request type."""

    MULTIMODAL = True

    def __init__(self, **_: Any) -> None:
        super().__init__()

    def generate_until(self, requests: list, disable_tqdm: bool = False) -> list[str]:
        answers = []
        log = os.environ.get("VSCBENCH_REPLAY_LOG")
        with open(log or os.devnull, "a", encoding="utf-8") as fh:
            for request in requests:
                context, settings, *extra = request.args
                images = extra[0].get("visual", []) if extra else []
                if len(images) > 1:
                    raise ValueError(f"{len(images)} images in one request; VSCBench sends at most one")
                text = context.removeprefix(IMAGE_MARKER) if images else context
                fh.write(json.dumps({"images": len(images), "context": context, **settings}) + "\n")
                answers.append(reply(text, pixels_sha(images[0]) if images else None))
        return answers

    def loglikelihood(self, requests: list, disable_tqdm: bool = False) -> list:
        raise NotImplementedError("the replay model only generates")

    def loglikelihood_rolling(self, requests: list, disable_tqdm: bool = False) -> list:
        raise NotImplementedError("the replay model only generates")


if __name__ == "__main__":
    cli_evaluate()
