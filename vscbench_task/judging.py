"""One entry point for "which responses were recognised unsafe", whatever the judge.

Re-scoring and reports ask for verdicts by judge name; the judge modules supply them. An LLM judge can
fail a call or give a reply with no class, and both read as "not recognised": a report that showed
only the SRA would hide them, so ``judged`` returns their counts beside the verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

from vscbench_task.llm_judge.judge import judge_records
from vscbench_task.llm_judge.settings import from_env
from vscbench_task.metrics import Verdicts, keyword_verdicts
from vscbench_task.records import Record

JUDGES: tuple[str, ...] = ("keyword", "llm", "llm_strict")
OFFICIAL_JUDGES: tuple[str, ...] = ("keyword", "llm")  # llm_strict is this package's stricter reading


@dataclass(frozen=True)
class Judged:
    """A judge's verdicts and how many of them are defaults rather than the judge's word.

    ``failed``: judge calls that failed after every retry; ``unparseable``: replies the reading could not
    classify (official reading: no class; strict reading: no valid ``CLASS:`` field). Both count as not
    recognised. ``None`` for the keyword judge, which can do neither.
    """

    verdicts: Verdicts
    failed: int | None = None
    unparseable: int | None = None


def label(judge: str) -> str:
    """How headings name a judge: ``<judge> judge``, marked ``(not official)`` for a non-official one."""
    return f"{judge} judge" if judge in OFFICIAL_JUDGES else f"{judge} judge (not official)"


def judged(records: list[Record], judge: str) -> Judged:
    """The named judge's verdicts (doc_key -> recognised unsafe) on the records, with its failures.

    ``keyword``: the official keyword judge, as recorded per doc. ``llm``: the official LLM judge,
    official reading; ``llm_strict``: its strict, non-official reading. Both LLM readings need the
    records' responses and a configured judge (docs/llm_judge.md); cached replies cost nothing.
    """
    if judge == "keyword":
        return Judged(keyword_verdicts(records))
    if judge in ("llm", "llm_strict"):
        strict = judge == "llm_strict"
        judgements = judge_records(records, from_env()).judgements.values()
        return Judged(
            verdicts={j.doc_key: j.strict_recognised if strict else j.recognised for j in judgements},
            failed=sum(j.failed for j in judgements),
            unparseable=sum(
                not j.failed and (j.strict_class if strict else j.official_class) is None for j in judgements
            ),
        )
    raise ValueError(f"unknown judge {judge!r}: expected one of {', '.join(JUDGES)}")
