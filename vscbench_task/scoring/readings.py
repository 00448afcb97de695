"""The names of the judges and of their readings: plain constants, importable without loading anything.

A *judge* is what answers (``keyword``: the official keyword judge; ``llm``: the official LLM judge). A
*reading* is how a verdict is read off it: the keyword judge has one (``keyword``), the LLM judge two
(``llm``, the official reading; ``llm_strict``, this package's stricter, non-official reading of the
same reply). Metric names carry the reading (``sra_u_llm_strict_judge``).
"""

from __future__ import annotations

JUDGES: tuple[str, ...] = ("keyword", "llm")
READINGS: tuple[str, ...] = ("keyword", "llm", "llm_strict")
OFFICIAL_READINGS: tuple[str, ...] = ("keyword", "llm")
JUDGE_OF_READING = {"keyword": "keyword", "llm": "llm", "llm_strict": "llm"}


def reading_label(reading: str) -> str:
    """How headings name a reading: ``<reading> judge``, marked ``(not official)`` for a non-official one."""
    return f"{reading} judge" if reading in OFFICIAL_READINGS else f"{reading} judge (not official)"
