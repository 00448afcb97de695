"""What identifies an LLM judge: the model, the endpoint, the request it is sent, the prompt version.

Two judges with the same identity give the same verdicts (up to the model's own variation); two with
different identities are two judges, whose verdicts must never mix. The identity is written wherever a
verdict or a figure is: in rescore results, reports, validations and verdict files. It holds no secret:
the endpoint is the URL without credentials or query (``JudgeSettings.endpoint``). The served model name
a reply reports is not part of it (an alias such as ``gpt-4o-mini`` can move under one identity): it is
recorded per reply.
"""

from __future__ import annotations

from typing import Any

from vscbench_task.judges.llm.prompt import PROMPT_VERSION
from vscbench_task.judges.llm.settings import TEMPERATURE, JudgeSettings


def judge_identity(settings: JudgeSettings) -> dict[str, Any]:
    """The identity of the LLM judge these settings configure."""
    return {
        "judge": "llm",
        "model": settings.model,
        "endpoint": settings.endpoint,
        "request": {"temperature": TEMPERATURE},
        "prompt_version": PROMPT_VERSION,
    }


def described(identity: dict[str, Any]) -> str:
    """An identity in a few words, for messages: ``model at endpoint (request ..., prompt version ...)``."""
    request = ", ".join(f"{k} {v}" for k, v in identity.get("request", {}).items()) or "no setting"
    return (
        f"{identity.get('model')} at {identity.get('endpoint')} (request: {request}; prompt version "
        f"{identity.get('prompt_version')})"
    )
