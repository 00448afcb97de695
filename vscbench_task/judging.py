"""One entry point for "which responses were recognised unsafe", whatever the judge.

Re-scoring and reports ask for verdicts by judge name; the judge modules supply them.
"""

from __future__ import annotations

from vscbench_task.metrics import Verdicts, keyword_verdicts
from vscbench_task.records import Record

JUDGES: tuple[str, ...] = ("keyword",)


def verdicts(records: list[Record], judge: str) -> Verdicts:
    """doc_key -> recognised unsafe, from the named judge (``keyword``: the official keyword judge)."""
    if judge == "keyword":
        return keyword_verdicts(records)
    raise ValueError(f"unknown judge {judge!r}: expected one of {', '.join(JUDGES)}")
