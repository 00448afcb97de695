"""The judges by name, for every consumer that lets a user choose one.

``keyword`` is the official keyword judge (offline); ``llm`` the official LLM judge, configured from the
environment (``llm_judge.settings``); their readings are named in ``scoring.readings``. The LLM judge is
imported only when asked for, so choosing the keyword judge never loads the network stack.
"""

from __future__ import annotations

from collections.abc import Mapping

from vscbench_task.scoring.judgements import Judge
from vscbench_task.scoring.keyword_judge import KeywordJudge
from vscbench_task.scoring.readings import JUDGE_OF_READING, JUDGES, READINGS


def judge_of(reading: str) -> str:
    """The judge whose reply a reading reads."""
    if reading not in JUDGE_OF_READING:
        raise ValueError(f"unknown judge {reading!r}: expected one of {', '.join(READINGS)}")
    return JUDGE_OF_READING[reading]


def make_judge(name: str, env: Mapping[str, str] | None = None) -> Judge:
    """The judge called ``name`` (``keyword`` or ``llm``); the LLM judge reads its settings from ``env``
    (default: the environment) and raises ``JudgeNotConfigured`` naming what is missing."""
    if name == "keyword":
        return KeywordJudge()
    if name == "llm":
        from vscbench_task.llm_judge.judge import LLMJudge
        from vscbench_task.llm_judge.settings import from_env

        return LLMJudge(from_env(env))
    raise ValueError(f"unknown judge {name!r}: expected one of {', '.join(JUDGES)}")
