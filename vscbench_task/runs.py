"""A model's run, in one shape whichever host produced it: what ``vscbench rescore`` and ``report`` score.

A run is a model's responses per task (``Response``: ``doc_key`` + text, checked), plus what the host
recorded about it. Each host's reader (``lmms.outputs``, ``lm_harness.outputs``, ``inspect_tasks.logs``,
``responses_file``; chosen by ``run_readers``) gives this same ``Run``. A task's responses are keyed by
the lmms-eval task of their part (``vscbench_image``, ``vscbench_text``), so every host's run is scored
with the same metric tables; a host that splits a part across tasks (lm-eval's text part) has them merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vscbench_task.errors import VSCBenchError
from vscbench_task.scoring.records import RecordError, Response


class RunNotFound(VSCBenchError):
    """No run where one was expected, or several where one was meant."""


@dataclass
class Run:
    """One model's run: its responses per task and what its host recorded.

    ``stamp`` and ``folder`` name where ``vscbench rescore`` writes by default
    (``<folder>/<stamp>_rescore_<judge>.json``: a name no reader here takes for a host's own file).
    ``results`` is the host's own results document when it has lmms-eval's shape (else empty), read
    from ``results_path``; ``partial`` maps a task whose samples are fewer than the run planned to
    (found, planned); only runs loaded with ``allow_partial`` have any.
    """

    host: str
    model: str
    stamp: str
    folder: Path
    results_path: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)
    responses: dict[str, list[Response]] = field(default_factory=dict)
    partial: dict[str, tuple[int, int]] = field(default_factory=dict)


def logged_response(sample: dict[str, Any], where: str) -> object:
    """The response in a sample lmms-eval or lm-eval logged (``filtered_resps``, else ``resps``), as
    logged: ``make_response`` checks and strips it."""
    value = sample.get("filtered_resps", sample.get("resps"))
    while isinstance(value, list):  # [[text]] or [text] depending on the host and its version
        value = value[0] if value else ""
    if value is None:
        raise RecordError(f"{where}: the sample holds no response (filtered_resps)")
    return value
