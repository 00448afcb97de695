"""The judges by name, for every consumer that lets a user choose one.

``keyword`` is the official keyword judge (offline); ``llm`` the official LLM judge, configured from the
environment (``judges.llm.settings``). The LLM judge is imported only when asked for, so choosing the
keyword judge never loads the network stack.
"""

from __future__ import annotations

from collections.abc import Mapping

from vscbench_task.judges.base import Judge
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.judges.names import checked_judge


def make_judge(name: str, env: Mapping[str, str] | None = None) -> Judge:
    """The judge called ``name`` (``keyword`` or ``llm``); the LLM judge reads its settings from ``env``
    (default: the environment) and raises ``JudgeNotConfigured`` naming what is missing."""
    if checked_judge(name) == "keyword":
        return KeywordJudge()
    from vscbench_task.judges.llm.judge import LLMJudge
    from vscbench_task.judges.llm.settings import from_env

    return LLMJudge(from_env(env))
