"""Which reader reads a run: ``load_run`` looks at what it is given and hands it to its host's reader.

* lmms-eval: an ``--output_path`` folder, a ``*_results.json`` or a ``*_samples_<task>.jsonl``
  (``lmms.outputs``);
* lm-evaluation-harness: an ``--output_path`` (model) folder, a ``results_*.json`` or a
  ``samples_<task>_<date>.jsonl`` (``lm_harness.outputs``);
* inspect_ai: an eval log (``.eval`` or ``.json``) or a log folder holding one model's logs
  (``inspect_tasks.logs``);
* anything else: a plain JSON Lines file of ``{"doc_key": ..., "response": ...}`` (``responses_file``).

A folder holding the outputs of several hosts is refused: which run was meant is the user's call.
"""

from __future__ import annotations

import json
from pathlib import Path

from vscbench_task.runs import Run, RunNotFound
from vscbench_task.scoring.records import RecordError


def _looks_like_inspect_json(path: Path) -> bool:
    """An inspect_ai log in JSON: an object with ``eval`` (an object) and ``status``. Its head is looked
    at first, so a folder's other JSON files (a host's results, rescore outputs) are not parsed whole."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
        if '"status"' not in head or '"eval"' not in head:
            return False
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("eval"), dict) and "status" in document


def load_run(path: str | Path, *, allow_partial: bool = False, responses_file: bool = False) -> Run:
    """The run at ``path``, whichever host wrote it (see the module); ``RunNotFound`` if none is there.

    ``responses_file`` reads ``path`` as a plain responses file whatever its name (``--responses``).
    """
    from vscbench_task.lm_harness import outputs as lm_harness  # each host's reader loads only when needed
    from vscbench_task.lmms import outputs as lmms
    from vscbench_task.responses_file import load_responses

    path = Path(path)
    if responses_file:
        return load_responses(path, allow_partial=allow_partial)
    if not path.exists():
        raise RunNotFound(
            f"no such run: {path} (pass what a host wrote: an lmms-eval or lm-eval --output_path folder or results "
            "file, an lmms-eval samples file, an inspect_ai log, or a JSON Lines file of doc_key + response)"
        )
    if path.is_dir():
        found = {
            "lmms-eval": any(path.rglob(f"*{lmms.RESULTS_SUFFIX}")),
            "lm-eval": any(path.rglob(lm_harness.RESULTS_GLOB)),
            "inspect_ai": bool(_inspect_logs(path)),
        }
        hosts = [host for host, present in found.items() if present]
        if len(hosts) > 1:
            raise RunNotFound(f"{path} holds the outputs of several hosts ({', '.join(hosts)}): pass each run itself")
        if hosts == ["lm-eval"]:
            return lm_harness.load_run(path, allow_partial=allow_partial)
        if hosts == ["inspect_ai"]:
            return _inspect_run(_inspect_logs(path), allow_partial)
        if not hosts:
            raise RunNotFound(
                f"no run under {path}: no lmms-eval results file (*{lmms.RESULTS_SUFFIX}), lm-eval results file "
                f"({lm_harness.RESULTS_GLOB}) or inspect_ai log (*.eval) in it (a responses file is passed itself)"
            )
        return lmms.load_run(path, allow_partial=allow_partial)
    name = path.name
    if path.suffix == ".eval" or (path.suffix == ".json" and _looks_like_inspect_json(path)):
        return _inspect_run([path], allow_partial)
    try:
        if name.endswith(lmms.RESULTS_SUFFIX) or (path.suffix == ".jsonl" and "_samples_" in name):
            return lmms.load_run(path, allow_partial=allow_partial)
        if path.match(lm_harness.RESULTS_GLOB) or (path.suffix == ".jsonl" and name.startswith("samples_")):
            return lm_harness.load_run(path, allow_partial=allow_partial)
    except (RecordError, RunNotFound) as err:
        if _looks_like_responses_file(path):
            hint = f"{path} looks like a responses file (doc_key + response): pass it with --responses"
            raise type(err)(f"{err}\n{hint}") from None
        raise
    if path.suffix == ".jsonl":
        return load_responses(path, allow_partial=allow_partial)
    raise RunNotFound(f"{path}: not a run this package reads (see `vscbench rescore --help`)")


def _inspect_logs(folder: Path) -> list[Path]:
    """The inspect_ai logs under ``folder``: ``.eval`` files and JSON logs."""
    found = [*folder.rglob("*.eval"), *(p for p in folder.rglob("*.json") if _looks_like_inspect_json(p))]
    return sorted(found)


def _looks_like_responses_file(path: Path) -> bool:
    """Whether the first line of ``path`` is a ``{"doc_key": ..., "response": ...}`` object."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = next((line for line in fh if line.strip()), "")
        entry = json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(entry, dict) and {"doc_key", "response"} <= entry.keys()


def _inspect_run(paths: list[Path], allow_partial: bool) -> Run:
    from vscbench_task.inspect_tasks.logs import load_logs

    return load_logs(paths, allow_partial=allow_partial)
