"""Any generator's responses: a JSON Lines file of ``{"doc_key": ..., "response": ...}``.

This is how VLMEvalKit, a home-made script or an API batch job get VSCBench scores: write one line per
answered item (``vscbench export`` lists the items and their inputs), then ``vscbench rescore
--responses FILE`` or ``vscbench report --responses FILE``. Both parts may share one file. Every line is
checked: an unknown ``doc_key``, an item answered twice, a missing or non-text field, a key given twice in
one line, or a line that is not JSON is refused with the file and line; any other field of a line is
ignored (labels always come from the packaged metadata). A part is complete when it answers every item of
a split (``calibration.split``: the whole benchmark, the evaluation or the calibration split; the run is
then labelled with that split, and both parts must cover the same one); a part answering fewer is refused
unless partial runs are allowed (then it is scored on the items given and marked partial against the split
its lines ask: its other part's split when they lie within it, else the whole benchmark; a part asking
items outside its other part's split is refused): a forgotten variant must not pass for the whole part.

``"response": ""`` is an answer: the model said nothing, which the official pipeline reads as the refusal
substitute (``empty_responses`` counts it). ``"response": null`` is not: no answer was obtained (a batch
script's failed call), and scoring it as empty would count a refusal the model never made. Such a line
is refused with its place, or, when partial runs are allowed, left out like a missing item (its part is
then marked partial). This reading belongs to this file format, so it is decided here, not in the shared
``make_response`` (where a host's ``None`` has other meanings).
"""

from __future__ import annotations

from pathlib import Path

from vscbench_task.calibration.split import CALIBRATION, EVALUATION, FULL, split_covered, split_items
from vscbench_task.dataset.items import TASK_OF_PART, items
from vscbench_task.hosts.run import Run, check_one_split, json_line
from vscbench_task.json_lines import numbered_lines
from vscbench_task.scoring.records import RecordError, Response, check_keys, make_response


def load_responses(path: str | Path, *, allow_partial: bool = False) -> Run:
    """The responses of ``path`` as a run named after the file, one task per part."""
    path = Path(path)
    by_part: dict[str, list[Response]] = {}
    where_of: dict[str, str] = {}
    asked: dict[str, list[str]] = {}  # part -> every doc_key of a line, answered or null
    try:  # utf-8-sig: a byte-order mark from a Windows tool is not text
        lines = numbered_lines(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as err:
        raise RecordError(f"{path}: cannot be read as a responses file ({err})") from None
    for number, line in lines:
        where = f"{path}:{number}"
        entry = json_line(line, where)
        if not isinstance(entry, dict) or "doc_key" not in entry or "response" not in entry:
            raise RecordError(f'{where}: a line is an object with "doc_key" and "response"')
        response = make_response(entry["doc_key"], entry["response"], where=where)
        if response.doc_key in where_of:
            raise RecordError(f"{where}: {response.doc_key} is answered again (first at {where_of[response.doc_key]})")
        where_of[response.doc_key] = where
        asked.setdefault(response.item.part, []).append(response.doc_key)
        if response.response is None:
            if not allow_partial:
                raise RecordError(
                    f"{where}: the response of {response.doc_key} is null: no answer was obtained (a failed call?). "
                    'Answer the item again; write "" only if the model really answered nothing (scored as the '
                    "official refusal); or pass --allow-partial to leave it out (its part is then marked partial)"
                )
            continue
        by_part.setdefault(response.item.part, []).append(response)
    if not asked:
        raise RecordError(f"{path}: no responses in it")
    run = Run("responses", path.stem, path.stem, path.parent, path, files=[path])
    # the split a part covers is read from every item its lines ask, so a null answer makes its part partial
    # (of that split), never turns the rest into a smaller split that looks complete
    complete = {TASK_OF_PART[part]: split_covered(part, keys) for part, keys in asked.items()}
    check_one_split(
        run,
        {task: split for task, split in complete.items() if split is not None},
        {},
        how="write each split's responses to a file of its own",
    )
    for part in sorted(asked):
        found = by_part.get(part, [])
        check_keys([r.doc_key for r in found], source=str(path))
        covered = complete[TASK_OF_PART[part]]
        if covered is not None and len(found) < len(asked[part]):
            run.partial[TASK_OF_PART[part]] = (len(found), len(split_items(part, covered)))
        if covered is None:
            within = {i.doc_key for i in split_items(part, run.split)} >= set(asked[part])
            if run.split != FULL and not within:
                raise RecordError(
                    f"{path}: its other part covers the {run.split} split, but its {part}-centric lines ask items "
                    "outside that split: one run is one split. Write each split's responses to a file of its own"
                )
            planned = len(split_items(part, run.split if within else FULL))
            if not allow_partial:
                raise RecordError(
                    f"{path} answers {len(found):,} of the {len(items(part)):,} {part}-centric items and is no split "
                    f"of them ({_sizes(part)}): a part's figures need every item of a split (`vscbench export "
                    "[--split evaluation]` lists them). Pass --allow-partial to score the items given (the outputs "
                    "are then marked partial)"
                )
            run.partial[TASK_OF_PART[part]] = (len(found), planned)
        if found:
            run.responses[TASK_OF_PART[part]] = found
    if not run.responses:
        raise RecordError(f"{path}: no answered item in it (every response is null)")
    return run


def _sizes(part: str) -> str:
    return ", ".join(f"{split} split {len(split_items(part, split)):,}" for split in (EVALUATION, CALIBRATION))
