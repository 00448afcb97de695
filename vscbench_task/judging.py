"""One entry point for "which responses were recognised unsafe", whatever the judge.

Re-scoring and reports ask for verdicts by judge name; the judge modules supply them.
"""

from __future__ import annotations

from vscbench_task.llm_judge.judge import judge_records
from vscbench_task.llm_judge.settings import from_env
from vscbench_task.metrics import Verdicts, keyword_verdicts
from vscbench_task.records import Record

JUDGES: tuple[str, ...] = ("keyword", "llm", "llm_strict")


def verdicts(records: list[Record], judge: str) -> Verdicts:
    """doc_key -> recognised unsafe, from the named judge.

    ``keyword``: the official keyword judge, as recorded per doc. ``llm``: the official LLM judge,
    official reading; ``llm_strict``: its strict, non-official reading. Both LLM readings need the
    records' responses and a configured judge (docs/llm_judge.md); cached replies cost nothing.
    """
    if judge == "keyword":
        return keyword_verdicts(records)
    if judge in ("llm", "llm_strict"):
        run = judge_records(records, from_env())
        return {
            key: j.strict_recognised if judge == "llm_strict" else j.recognised for key, j in run.judgements.items()
        }
    raise ValueError(f"unknown judge {judge!r}: expected one of {', '.join(JUDGES)}")
