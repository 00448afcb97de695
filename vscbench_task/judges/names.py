"""The names of the judges and of their readings, and the one place a name is checked.

A *judge* is what answers (``keyword``: the official keyword judge; ``llm``: the official LLM judge). A
*reading* is how a verdict is read off it: the keyword judge has one (``keyword``), the LLM judge two
(``llm``, the official reading; ``llm_strict``, this package's stricter, non-official reading of the
same reply). Metric names carry the reading (``sra_u_llm_strict_judge``). Plain constants, importable
without loading anything: the command line offers them as choices.
"""

from __future__ import annotations

# Each judge and the readings of its replies, the official one first: the table everything else derives from.
READINGS_OF_JUDGE: dict[str, tuple[str, ...]] = {"keyword": ("keyword",), "llm": ("llm", "llm_strict")}
JUDGES: tuple[str, ...] = tuple(READINGS_OF_JUDGE)
READINGS: tuple[str, ...] = tuple(r for readings in READINGS_OF_JUDGE.values() for r in readings)
OFFICIAL_READINGS: tuple[str, ...] = tuple(readings[0] for readings in READINGS_OF_JUDGE.values())
JUDGE_OF_READING: dict[str, str] = {r: judge for judge, readings in READINGS_OF_JUDGE.items() for r in readings}


def checked_judge(name: object) -> str:
    """``name`` if it names a judge; else ``ValueError`` listing the judges."""
    if name not in READINGS_OF_JUDGE:
        raise ValueError(f"unknown judge {name!r}: expected one of {', '.join(JUDGES)}")
    return str(name)


def judge_of(reading: str) -> str:
    """The judge whose reply a reading reads; ``ValueError`` listing the readings for another name."""
    if reading not in JUDGE_OF_READING:
        raise ValueError(f"unknown judge {reading!r}: expected one of {', '.join(READINGS)}")
    return JUDGE_OF_READING[reading]


def reading_label(reading: str) -> str:
    """How headings name a reading: ``<reading> judge``, marked ``(not official)`` for a non-official one."""
    return f"{reading} judge" if reading in OFFICIAL_READINGS else f"{reading} judge (not official)"
