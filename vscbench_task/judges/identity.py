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
from vscbench_task.judges.llm.settings import JudgeSettings, is_official


def judge_identity(settings: JudgeSettings) -> dict[str, Any]:
    """The identity of the LLM judge these settings configure; ``official_judge`` only for the official
    model sent exactly the official request."""
    return {
        "judge": "llm",
        "model": settings.model,
        "endpoint": settings.endpoint,
        "request": settings.request(),
        "prompt_version": PROMPT_VERSION,
        "official_judge": is_official(settings.model, settings.request()),
    }


def described(identity: dict[str, Any]) -> str:
    """An identity in a few words, for messages: ``model at endpoint (request ..., prompt version ...)``,
    and whether it is the official judge."""
    request = ", ".join(f"{k} {v}" for k, v in identity.get("request", {}).items()) or "no setting"
    official = "the official judge" if identity.get("official_judge") else "not the official judge"
    return (
        f"{identity.get('model')} at {identity.get('endpoint')} (request: {request}; prompt version "
        f"{identity.get('prompt_version')}; {official})"
    )
