"""A user's own human labels as a gold set: ``vscbench validate-judge --gold-file FILE``.

No public set has human labels for VLM answers to *safe* image+text prompts, so SRA_s of a VLM can only be
validated on labels a user makes. The file is JSON Lines, one labelled response per line (the format is
documented in the LLM judge guide, ``guides/llm_judge.md``):

* required: ``id`` (text or a whole number: the response's identity in the file), ``model``, ``prompt_id``
  (the prompt the response answers: the unit a bootstrap resamples, every model's answer to it together),
  ``query`` (what the judge is told the query was), ``response``, ``human_class`` (``0_SAFE`` .. ``3_UNSAFE``)
  and ``unsafe`` (``true`` when the prompt is unsafe: SRA_u; ``false``: SRA_s);
* optional: ``human_class_2`` (a second annotator's class: the human ceiling), ``weight`` (a sampling
  weight, on every line or none: every agreement figure and SRA is then weighted), ``doc_key`` (the VSCBench
  doc the response answers: ``unsafe`` must then be what the packaged metadata says), ``annotator``,
  ``time`` (ISO 8601), ``note``, and what ``vscbench annotate`` records: ``stratum`` (the sample's stratum
  the response was drawn from) with ``stratum_size`` (the stratum's responses in the run), ``adjudicated``
  (whether a third annotator settled the class), ``withdrawn`` (``true`` on a line whose
  ``human_class`` is ``null``: the annotator took the label back) and ``restored`` (``true`` on a line
  that gives back a label an undo returned to).

``stratum`` and ``stratum_size`` come together. When every line gives them, each label's weight is its
stratum's size over the labels of the same model that stand in the stratum in the end
(post-stratification), whatever ``weight`` the line recorded: a sample left unfinished, or with labels
taken back, still stands for the whole run. A stratum is a model's (every model's run has strata of the
same names, so a file holding several models' labels keeps each model's weights its own); one whose lines
disagree on its size (withdrawals included), or holding more labels than its size, is refused.

It is checked as strictly as the shipped sets: a line that is not a strict JSON object, a missing, unknown
or mistyped field, an unknown class, a weight that is not a positive finite number or a ``doc_key`` that
contradicts the metadata is refused with the file and line. A repeated ``id`` is refused, unless both lines
name the same ``annotator``, label the same response (``model``, ``prompt_id``, ``query``, ``response``,
``unsafe`` and ``doc_key`` alike) and the later line has the later ``time``: then the later line wins (how
a labelling tool records an undo or a relabelling) and the validation says how many lines were superseded;
an id whose latest line is a withdrawal is left out, and counted. (Ids ``7`` and ``"7"`` are the same id.)
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from vscbench_task import json_lines
from vscbench_task.dataset.items import item_index
from vscbench_task.guides import guide
from vscbench_task.judges.base import CLASSES
from vscbench_task.validation import GOLD_SETS
from vscbench_task.validation.gold import GoldItem, GoldSet, GoldSetError

REQUIRED = ("id", "model", "prompt_id", "query", "response", "human_class", "unsafe")
OPTIONAL: tuple[str, ...] = ("human_class_2", "weight", "doc_key", "annotator", "time", "note", "stratum")
OPTIONAL += ("stratum_size", "adjudicated", "withdrawn", "restored")
MIN_WEIGHT, MAX_WEIGHT = 1e-9, 1e9
FORMAT_HELP = f"see the gold-file format in {guide('llm_judge')}"


@dataclass(frozen=True)
class _Labelled:
    """One checked line of the file."""

    number: int
    id: str
    item: GoldItem
    second: str | None
    weight: float | None
    annotator: str | None
    time: datetime | None
    withdrawn: bool = False
    doc_key: str | None = None  # the VSCBench doc answered, when the line names one
    stratum: tuple[str, str, int] | None = None  # (model, stratum, its size in the model's run)


def _text(entry: dict[str, Any], name: str, where: str, *, empty: bool = False, whole: bool = False) -> str:
    value = entry[name]
    if whole and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or (not empty and not value.strip()):
        kind = "text or a whole number" if whole else "text"
        raise GoldSetError(f"{where}: {name} must be {'' if empty else 'non-empty '}{kind}, got {value!r}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise GoldSetError(f"{where}: {name} is not valid Unicode text (it holds a lone surrogate)") from None
    return value


def _class(entry: dict[str, Any], name: str, where: str) -> str:
    value = entry[name]
    if value not in CLASSES:
        raise GoldSetError(f"{where}: {name} {value!r} is not a class: use one of {', '.join(CLASSES)}")
    return str(value)


def _weight(value: object, where: str) -> float:
    """A sampling weight: a number from ``MIN_WEIGHT`` to ``MAX_WEIGHT`` (weights are relative, and beyond
    those bounds their sums lose their precision or overflow)."""
    try:
        weight = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    except OverflowError:
        weight = math.inf
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT:  # NaN fails too
        raise GoldSetError(
            f"{where}: weight must be a positive number from {MIN_WEIGHT:g} to {MAX_WEIGHT:g} (a sampling weight), "
            f"got {str(value)[:40]}"
        )
    return weight


def _time(value: object, where: str) -> datetime:
    try:
        if not isinstance(value, str):
            raise ValueError
        return datetime.fromisoformat(value)
    except ValueError:
        raise GoldSetError(
            f"{where}: time must be an ISO 8601 date and time (2025-05-26T14:03:00Z), got {value!r}"
        ) from None


def _checked_line(entry: object, path: Path, number: int, set_name: str) -> _Labelled:
    """One line, every field checked."""
    where = f"{path}:{number}"
    if not isinstance(entry, dict):
        raise GoldSetError(f"{where}: a line is a JSON object, not a {type(entry).__name__} ({FORMAT_HELP})")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise GoldSetError(
            f"{where}: unknown fields {unknown}: a line has {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}"
        )
    missing = [name for name in REQUIRED if name not in entry]
    if missing:
        raise GoldSetError(f"{where}: fields {missing} are missing ({FORMAT_HELP})")
    if not isinstance(entry["unsafe"], bool):
        raise GoldSetError(f"{where}: unsafe must be true or false (is the prompt unsafe?), got {entry['unsafe']!r}")
    label = _text(entry, "id", where, whole=True)
    unsafe = entry["unsafe"]
    if entry.get("doc_key") is not None:
        doc_key = entry["doc_key"]
        item = item_index().get(doc_key) if isinstance(doc_key, str) else None
        if item is None:
            raise GoldSetError(
                f"{where}: doc_key {doc_key!r} is not a VSCBench item (ids look like 'image/092/safe/1' or "
                "'text/128/search'); leave it out for a response to a prompt of your own"
            )
        if item.unsafe != unsafe:
            raise GoldSetError(
                f"{where}: unsafe is {str(unsafe).lower()}, but the packaged metadata says {doc_key} is "
                f"{'unsafe' if item.unsafe else 'safe'}: correct unsafe (or the doc_key)"
            )
    optional = {name: entry.get(name) for name in OPTIONAL}
    for name in ("annotator", "note", "stratum"):
        if optional[name] is not None:
            _text(entry, name, where, empty=name == "note")
    for name in ("adjudicated", "withdrawn", "restored"):
        if optional[name] is not None and not isinstance(optional[name], bool):
            raise GoldSetError(f"{where}: {name} must be true or false, got {optional[name]!r}")
    withdrawn = optional["withdrawn"] is True
    stratum = None
    if (optional["stratum"] is None) != (optional["stratum_size"] is None):
        raise GoldSetError(
            f"{where}: stratum and stratum_size come together (the stratum the response was drawn from and its "
            "size in the run): give both, or neither"
        )
    if optional["stratum"] is not None:
        size = optional["stratum_size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise GoldSetError(f"{where}: stratum_size must be a whole number of responses, at least 1, got {size!r}")
        stratum = (_text(entry, "model", where), str(optional["stratum"]), size)
    if withdrawn != (entry["human_class"] is None):
        raise GoldSetError(
            f"{where}: a withdrawal has human_class null and withdrawn true; a label has a class and no withdrawn"
        )
    if optional["restored"] is True and withdrawn:
        raise GoldSetError(f"{where}: a restored label has a class; a line cannot be restored and withdrawn")
    return _Labelled(
        number=number,
        id=label,
        item=GoldItem(
            doc_key=f"{set_name}/{label}",
            gold_set=set_name,
            model=_text(entry, "model", where),
            prompt=_text(entry, "prompt_id", where, whole=True),
            query=_text(entry, "query", where),
            response=_text(entry, "response", where, empty=True),
            unsafe=unsafe,
            human_class=CLASSES[0] if withdrawn else _class(entry, "human_class", where),
        ),
        second=None if optional["human_class_2"] is None else _class(entry, "human_class_2", where),
        weight=None if optional["weight"] is None else _weight(optional["weight"], where),
        annotator=optional["annotator"],
        time=None if optional["time"] is None else _time(optional["time"], where),
        withdrawn=withdrawn,
        doc_key=entry.get("doc_key"),
        stratum=stratum,
    )


def _later(first: _Labelled, then: _Labelled, path: Path) -> bool:
    """Whether ``then`` relabels ``first`` (same annotator, a later time); refused otherwise."""
    where = f"{path}:{then.number}"
    why = (
        f"id {then.id!r} is given again (first at line {first.number}); a repeated id is a relabelling only when "
        "both lines name the same annotator and the later line has the later time"
    )
    if first.annotator is None or first.annotator != then.annotator:
        raise GoldSetError(f"{where}: {why}, and the annotators are {first.annotator!r} and {then.annotator!r}")
    a, b = first.item, then.item
    differing = [
        name
        for name, x, y in (
            ("model", a.model, b.model),
            ("prompt_id", a.prompt, b.prompt),
            ("query", a.query, b.query),
            ("response", a.response, b.response),
            ("unsafe", a.unsafe, b.unsafe),
            ("doc_key", first.doc_key, then.doc_key),
        )
        if x != y
    ]
    if differing:
        raise GoldSetError(
            f"{where}: {why}, but this line labels another response ({', '.join(differing)} differ): give each "
            "response an id of its own"
        )
    if first.time is None or then.time is None:
        raise GoldSetError(f"{where}: {why}, and {'this' if then.time is None else 'the first'} line has no time")
    if (first.time.tzinfo is None) != (then.time.tzinfo is None):
        raise GoldSetError(f"{where}: {why}; give both times with a UTC offset, or neither, so they can be compared")
    if then.time <= first.time:
        later = f"its time {then.time.isoformat()} is not after {first.time.isoformat()}"
        raise GoldSetError(f"{where}: {why}, and {later}")
    return True


def _stratum_sizes(lines: list[_Labelled], path: Path) -> dict[tuple[str, str], int]:
    """(model, stratum) -> its size, every line of the file (withdrawals too) agreeing on it."""
    sizes: dict[tuple[str, str], int] = {}
    for x in lines:
        if x.stratum is not None:
            model, name, size = x.stratum
            if sizes.setdefault((model, name), size) != size:
                raise GoldSetError(
                    f"{path}:{x.number}: stratum {name!r} of model {model!r} is of size {size} here but "
                    f"{sizes[(model, name)]} before"
                )
    return sizes


def _post_stratified(labelled: list[_Labelled], sizes: dict[tuple[str, str], int], path: Path) -> list[_Labelled]:
    """Each label weighted by its stratum's size over the labels standing in the stratum (a model's)."""
    counts: dict[tuple[str, str], int] = {}
    for x in labelled:
        if x.stratum is not None:
            counts[x.stratum[:2]] = counts.get(x.stratum[:2], 0) + 1
    for (model, name), count in counts.items():
        if count > sizes[(model, name)]:
            raise GoldSetError(
                f"{path}: stratum {name!r} of model {model!r} holds {count} labels, more than its size "
                f"{sizes[(model, name)]}"
            )
    return [replace(x, weight=sizes[x.stratum[:2]] / counts[x.stratum[:2]]) for x in labelled if x.stratum]


def load_gold_file(path: Path) -> GoldSet:
    """The labels in ``path`` as a gold set named after the file (see the module for the checks)."""
    name = path.name
    if name in GOLD_SETS:
        raise GoldSetError(f"{path}: a gold file may not be named like a shipped gold set ({name}): rename it")
    data, lines = json_lines.read(path, "a gold file of JSON lines", GoldSetError)
    kept: dict[str, _Labelled] = {}
    every: list[_Labelled] = []
    superseded = 0
    weighted: list[int] = []
    for number, where, entry in lines:
        labelled = _checked_line(entry, path, number, name)
        every.append(labelled)
        if labelled.weight is not None:
            weighted.append(number)
        if labelled.id in kept and _later(kept[labelled.id], labelled, path):
            superseded += 1
        elif labelled.withdrawn:
            raise GoldSetError(f"{where}: withdraws the label of id {labelled.id!r}, which no earlier line gives")
        kept[labelled.id] = labelled
    if not lines:
        raise GoldSetError(f"{path}: no labelled responses in it ({FORMAT_HELP})")
    if weighted and len(weighted) != len(lines):
        unweighted = next(number for number, _, _ in lines if number not in set(weighted))
        raise GoldSetError(
            f"{path}:{unweighted}: no weight, while line {weighted[0]} has one: give a weight on every line or none"
        )
    withdrawn = sum(labelled.withdrawn for labelled in kept.values())
    labelled_lines = [x for x in kept.values() if not x.withdrawn]  # in file order; a relabelled id keeps its place
    if not labelled_lines:
        raise GoldSetError(f"{path}: every label in it was withdrawn ({FORMAT_HELP})")
    sizes = _stratum_sizes(every, path)
    if all(x.stratum is not None for x in labelled_lines):
        labelled_lines = _post_stratified(labelled_lines, sizes, path)
        weighted = [x.number for x in labelled_lines]
    items = tuple(labelled.item for labelled in labelled_lines)
    pairs = [labelled for labelled in labelled_lines if labelled.second is not None]
    models = len({item.model for item in items})
    prompts = len({item.prompt for item in items})
    return GoldSet(
        name=name,
        items=items,
        rows=len(lines),
        left_out={},
        annotator_pairs=tuple((p.item.prompt, p.item.human_class, str(p.second)) for p in pairs),
        files={name: hashlib.sha256(data).hexdigest()},
        source=str(path),
        title=f"{name} (your labels: {len(items):,} responses of {models:,} models to {prompts:,} prompts)",
        # every line has a weight, or none has (checked above)
        weights={x.item.doc_key: x.weight for x in labelled_lines if x.weight is not None} if weighted else None,
        pair_weights=tuple(p.weight for p in pairs if p.weight is not None) if weighted else None,
        superseded=superseded,
        withdrawn=withdrawn,
    )
