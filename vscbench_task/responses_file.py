"""Any generator's responses: a JSON Lines file of ``{"doc_key": ..., "response": ...}``.

This is how VLMEvalKit, a home-made script or an API batch job get VSCBench scores: write one line per
answered item (``vscbench export`` lists the items and their inputs), then ``vscbench rescore
--responses FILE`` or ``vscbench report FILE``. Both parts may share one file. Every line is checked: an
unknown ``doc_key``, an item answered twice, a missing or non-text field, or extra text that is not JSON is
refused with the file and line; any other field of a line is ignored (labels always come from the
packaged metadata).
"""

from __future__ import annotations

import json
from pathlib import Path

from vscbench_task.runs import Run
from vscbench_task.scoring.metric_specs import TASK_OF_PART
from vscbench_task.scoring.records import RecordError, Response, check_keys, make_response


def load_responses(path: str | Path) -> Run:
    """The responses of ``path`` as a run named after the file, one task per part."""
    path = Path(path)
    by_part: dict[str, list[Response]] = {}
    where_of: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise RecordError(f"{path}: cannot be read as a responses file ({err})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            raise RecordError(f"{where}: not a JSON line ({err})") from None
        if not isinstance(entry, dict) or "doc_key" not in entry or "response" not in entry:
            raise RecordError(f'{where}: a line is an object with "doc_key" and "response"')
        response = make_response(entry["doc_key"], entry["response"], where=where)
        if response.doc_key in where_of:
            raise RecordError(f"{where}: {response.doc_key} is answered again (first at {where_of[response.doc_key]})")
        where_of[response.doc_key] = where
        by_part.setdefault(response.item.part, []).append(response)
    if not by_part:
        raise RecordError(f"{path}: no responses in it")
    for responses in by_part.values():
        check_keys([r.doc_key for r in responses], source=str(path))
    responses = {TASK_OF_PART[part]: found for part, found in by_part.items()}
    return Run("responses", path.stem, path.stem, path.parent, path, responses=responses)
