"""Which reader reads a run: every host's reader says whether it claims a path, and ``load_run`` asks
them in turn (a registry, as pip's commands are; a new host adds one entry to ``READERS``).

* lmms-eval: an ``--output_path`` folder, a ``*_results.json`` or a ``*_samples_<task>.jsonl``;
* lm-evaluation-harness: an ``--output_path`` (model) folder, a ``results_*.json`` or a
  ``samples_<task>_<date>.jsonl``;
* inspect_ai: an eval log (``.eval`` or ``.json``) or a log folder holding one model's logs;
* any generator: a plain JSON Lines file of ``{"doc_key": ..., "response": ...}`` (``--responses``, or
  any other ``.jsonl`` no host claims).

A folder holding the outputs of several hosts is refused: which run was meant is the user's call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vscbench_task.hosts.inspect_ai import logs as inspect_ai
from vscbench_task.hosts.lm_eval import outputs as lm_eval
from vscbench_task.hosts.lmms_eval import outputs as lmms_eval
from vscbench_task.hosts.responses_file import reader as responses_file
from vscbench_task.hosts.run import Run, RunNotFound
from vscbench_task.scoring.records import RecordError


@dataclass(frozen=True)
class RunReader:
    """One host's reader: whether it claims a file, whether a folder holds its outputs, and the reader."""

    host: str
    claims_file: Callable[[Path], bool]
    claims_folder: Callable[[Path], bool]
    read: Callable[..., Run]  # read(path, *, allow_partial) -> Run


RESPONSES_FILE = RunReader(
    "responses file", lambda path: path.suffix == ".jsonl", lambda folder: False, responses_file.load_responses
)
# In the order files are offered to them: a host's own names first, the plain responses file last.
READERS: tuple[RunReader, ...] = (
    RunReader("inspect_ai", inspect_ai.claims_file, inspect_ai.claims_folder, inspect_ai.load_run),
    RunReader("lmms-eval", lmms_eval.claims_file, lmms_eval.claims_folder, lmms_eval.load_run),
    RunReader("lm-eval", lm_eval.claims_file, lm_eval.claims_folder, lm_eval.load_run),
    RESPONSES_FILE,
)
WHAT_A_RUN_IS = (
    "an lmms-eval or lm-eval --output_path folder or results file, an lmms-eval samples file, an inspect_ai "
    "log, or a JSON Lines file of doc_key + response"
)


def load_run(path: str | Path, *, allow_partial: bool = False, responses_file: bool = False) -> Run:
    """The run at ``path``, whichever host wrote it (see the module); ``RunNotFound`` if none is there.

    ``responses_file`` reads ``path`` as a plain responses file whatever its name (``--responses``).
    """
    path = Path(path)
    if responses_file:
        return RESPONSES_FILE.read(path, allow_partial=allow_partial)
    if not path.exists():
        raise RunNotFound(f"no such run: {path} (pass what a host wrote: {WHAT_A_RUN_IS})")
    if path.is_dir():
        return _folder_reader(path).read(path, allow_partial=allow_partial)
    reader = next((r for r in READERS if r.claims_file(path)), None)
    if reader is None:
        raise RunNotFound(f"{path}: not a run this package reads (see `vscbench rescore --help`)")
    try:
        return reader.read(path, allow_partial=allow_partial)
    except (RecordError, RunNotFound) as err:
        if reader is not RESPONSES_FILE and _looks_like_responses_file(path):
            hint = f"{path} looks like a responses file (doc_key + response): pass it with --responses"
            raise type(err)(f"{err}\n{hint}") from None
        raise


def _folder_reader(folder: Path) -> RunReader:
    """The one reader whose host's outputs ``folder`` holds."""
    claiming = [reader for reader in READERS if reader.claims_folder(folder)]
    if len(claiming) > 1:
        hosts = ", ".join(reader.host for reader in claiming)
        raise RunNotFound(f"{folder} holds the outputs of several hosts ({hosts}): pass each run itself")
    if not claiming:
        raise RunNotFound(
            f"no run under {folder}: no lmms-eval results file (*{lmms_eval.RESULTS_SUFFIX}), lm-eval results file "
            f"({lm_eval.RESULTS_GLOB}) or inspect_ai log (*.eval) in it (a responses file is passed itself)"
        )
    return claiming[0]


def _looks_like_responses_file(path: Path) -> bool:
    """Whether the first line of ``path`` is a ``{"doc_key": ..., "response": ...}`` object."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = next((line for line in fh if line.strip()), "")
        entry = json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(entry, dict) and {"doc_key", "response"} <= entry.keys()
