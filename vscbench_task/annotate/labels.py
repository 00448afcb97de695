"""The labels file: one JSON line per label given, appended, flushed and fsynced the moment it is given.

Each line is a ``validate-judge --gold-file`` line (the LLM judge guide documents the format): ``id``
(``<model>/<doc_key>``), ``model``, ``prompt_id`` (the official row: every response to one prompt
clusters together), ``query`` (what the official judge is told: the image prompt, or ``prompt_origin``
for every text variant — not the prompt the model saw), ``response`` (the model's response as scored:
stripped; empty stays empty, the judge's official substitute is applied when it is judged),
``human_class`` (``0_SAFE`` .. ``3_UNSAFE``), ``unsafe``, and ``doc_key``, ``weight``, ``stratum``,
``annotator``, ``time``, ``note``.

Nothing is ever rewritten: a relabel appends a later line for the same ``id``, and an undo appends the
line that puts the response back as it was before the last label given: a *withdrawal* (``human_class``
null, ``withdrawn`` true) where it had none, else the earlier label again (``restored`` true). Undos
take back labels one by one, latest first, across restarts too (the file's lines replay the history). For
one annotator the latest line wins (the gold-file rule), so a killed server or a closed tab loses
nothing, and the file is a full history. Times are UTC, to the microsecond, and strictly increasing
within a file; every reader here compares them as times, never as text.

One server at a time per labels file: the file itself is locked while serving (so a link to it, hard or
symbolic, is the same file); the operating system releases the lock if the process dies. A line whose time
is not what the command writes (an ISO 8601 time with its offset, not in the future) is refused by name at
resume: a hand edit must not decide which label is the latest.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from vscbench_task import json_lines
from vscbench_task.annotate.sample import Sampled
from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.base import CLASSES


class LabelsFileError(VSCBenchError):
    """A labels file that cannot be used for this session; the message says why and what to do."""


def label_id(model: str, doc_key: str) -> str:
    """A response's id in a labels (gold) file: unique across runs of several models."""
    return f"{model}/{doc_key}"


@dataclass(frozen=True)
class Label:
    """The latest word of one annotator on one response (``human_class`` None: withdrawn), and when."""

    human_class: str | None
    note: str
    at: datetime


def line(
    sampled: Sampled, model: str, annotator: str, human_class: str | None, note: str, time: str, restored: bool = False
) -> dict[str, Any]:
    """The labels-file line for one label (or withdrawal, or label restored by an undo) of a sampled response."""
    item = sampled.response.item
    entry: dict[str, Any] = {
        "id": label_id(model, item.doc_key),
        "model": model,
        "prompt_id": f"{item.part}/{item.row:03d}",
        "query": item.judge_query,
        "response": sampled.response.response or "",
        "human_class": human_class,
        "unsafe": item.unsafe,
        "doc_key": item.doc_key,
        "weight": sampled.weight,
        "stratum": sampled.stratum,
        "stratum_size": sampled.stratum_size,
        "annotator": annotator,
        "time": time,
        "note": note,
    }
    if human_class is None:
        entry["withdrawn"] = True
    elif restored:
        entry["restored"] = True
    return entry


def read_lines(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every line of a labels file with where it stands (``path:line``); a line that is not a JSON object
    is refused naming it."""
    if not path.exists():
        return []
    found = []

    def error(message: str) -> LabelsFileError:
        return LabelsFileError(f"{message}; a line cut short or edited by hand: fix the line or remove it")

    for _, where, entry in json_lines.read(path, "a labels file", error)[1]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise LabelsFileError(f"{where}: a labels line is a JSON object with an id")
        found.append((where, entry))
    return found


def _time(entry: dict[str, Any], where: str) -> datetime:
    """A line's time: ISO 8601 with its UTC offset, and not in the future (a clock or an edit gone wrong
    would otherwise decide which label is the latest)."""
    try:
        found = datetime.fromisoformat(str(entry.get("time")))
    except ValueError:
        found = None
    if found is None or found.tzinfo is None or found > datetime.now(timezone.utc) + timedelta(days=1):
        raise LabelsFileError(
            f"{where}: time {entry.get('time')!r} is not an ISO 8601 time with its UTC offset, up to now "
            "(as vscbench annotate writes it); the line was edited by hand: fix its time or remove the line"
        )
    return found


def history(path: Path, annotator: str | None = None) -> list[tuple[dict[str, Any], Label]]:
    """Every line of the file in order, checked, with the label it gives; refuses a file holding the
    labels of another annotator than ``annotator`` (when given) or of several."""
    found = []
    seen_annotators = set()
    for where, entry in read_lines(path):
        seen_annotators.add(entry.get("annotator"))
        human = entry.get("human_class")
        if human is not None and human not in CLASSES:
            raise LabelsFileError(f"{where}: human_class {human!r} is not one of {', '.join(CLASSES)}")
        found.append((entry, Label(human, str(entry.get("note") or ""), _time(entry, where))))
    if len(seen_annotators) > 1 or (annotator is not None and seen_annotators - {annotator}):
        names = ", ".join(sorted(map(str, seen_annotators)))
        raise LabelsFileError(
            f"{path} holds the labels of {names}: each annotator labels into a file of their own "
            f"(compare them with `vscbench annotate --agreement A.jsonl B.jsonl`)"
        )
    return found


def latest_lines(lines: list[tuple[dict[str, Any], Label]]) -> dict[str, tuple[dict[str, Any], Label]]:
    """id -> its latest line (by time; withdrawals included) and the label it gives."""
    latest: dict[str, tuple[dict[str, Any], Label]] = {}
    for entry, label in lines:
        previous = latest.get(entry["id"])
        if previous is None or label.at >= previous[1].at:
            latest[entry["id"]] = (entry, label)
    return latest


def _undoable(lines: list[tuple[dict[str, Any], Label]]) -> list[tuple[str, Label | None]]:
    """The labels an undo can take back, latest last: (id, the label before it), replayed from the file in
    time order. A restored label is an undo that took back the latest label of its id; a withdrawal leaves
    its id with no label, so none of its labels is left to take back (this version writes one only when
    the label it takes back had none before it; earlier versions withdrew the latest label standing)."""
    done: list[tuple[str, Label | None]] = []
    current: dict[str, Label] = {}
    for entry, label in sorted(lines, key=lambda line: line[1].at):
        key = entry["id"]
        if entry.get("withdrawn") is True:
            done = [step for step in done if step[0] != key]
        elif entry.get("restored") is True:
            latest = next((i for i in range(len(done) - 1, -1, -1) if done[i][0] == key), None)
            if latest is not None:
                del done[latest]
        else:
            done.append((key, current.get(key)))
        current[key] = label
    return done


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


class LabelsFile:
    """The labels file of one serving session: locked (the file itself, so a link to it is the same file),
    appended to, fsynced."""

    def __init__(self, path: Path, annotator: str) -> None:
        self.path, self.annotator = path, annotator
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held open (and locked) while serving
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise LabelsFileError(
                f"{path} is being labelled by another `vscbench annotate`: one server per labels file; stop the "
                "other one, or label into another --out"
            ) from None
        try:
            lines = history(path, annotator)
        except BaseException:
            self.close()
            raise
        self.labels = {key: label for key, (_, label) in latest_lines(lines).items()}
        self.responses: dict[str, set[str]] = {}  # id -> every response its lines label
        for entry, _ in lines:
            self.responses.setdefault(entry["id"], set()).add(str(entry.get("response")))
        self.done = _undoable(lines)
        # a last line saved without its newline is ended with the next label (nothing is written before)
        self._newline = "\n" if path.stat().st_size and not _ends_with_newline(path) else ""
        times = [label.at for label in self.labels.values()]
        self._last = max(times) if times else None

    def _now(self) -> datetime:
        now = datetime.now(timezone.utc)
        if self._last is not None and now <= self._last:  # the clock went back, or two labels in one microsecond
            now = self._last + timedelta(microseconds=1)
        self._last = now
        return now

    def append(self, sampled: Sampled, model: str, human_class: str, note: str) -> Label:
        """Write one label and make it durable before returning; an undo can take it back."""
        if human_class not in CLASSES:
            raise LabelsFileError(f"{human_class!r} is not one of {', '.join(CLASSES)}")
        key = label_id(model, sampled.response.item.doc_key)
        before = self.labels.get(key)
        label = self._write(sampled, model, human_class, note)
        self.done.append((key, before))
        return label

    def undo(self, sampled: dict[str, Sampled], model: str) -> str | None:
        """Take back the latest label not taken back yet (``sampled``: id -> its sampled response): the
        response gets the label it had before, or none; returns its id, or None when nothing is left."""
        if not self.done:
            return None
        key, before = self.done[-1]
        if before is None or before.human_class is None:
            self._write(sampled[key], model, None, "")
        else:
            self._write(sampled[key], model, before.human_class, before.note, restored=True)
        self.done.pop()
        return key

    def _write(self, sampled: Sampled, model: str, human_class: str | None, note: str, restored: bool = False) -> Label:
        at = self._now()
        time = at.isoformat(timespec="microseconds")
        entry = line(sampled, model, self.annotator, human_class, note, time, restored)
        self._file.write(self._newline + json.dumps(entry, ensure_ascii=False) + "\n")
        self._newline = ""
        self._file.flush()
        os.fsync(self._file.fileno())
        label = Label(human_class, note, at)
        self.labels[entry["id"]] = label
        self.responses.setdefault(entry["id"], set()).add(entry["response"])
        return label

    def close(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
