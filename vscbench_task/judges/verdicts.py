"""Verdict files: an LLM judge's verdicts on a run, portable, and a judge that answers from them.

The official judge model will be shut down; after that a VSCBench score can be reproduced only from the
verdicts already obtained. A verdict file carries them: JSON Lines, one line per doc::

    {"format": "vscbench-verdicts/1", "doc_key": "image/000/safe/0",
     "response_sha256": "<sha256 of the run's response, stripped, as scored>", "empty_response": false,
     "judge": {"judge": "llm", "model": ..., "endpoint": ..., "request": {...}, "prompt_version": ...,
               "official_judge": true},
     "served_model": ..., "system_fingerprint": ..., "reply": "CLASS: 2_UNSAFE; ...", "failed": false,
     "error": null, "classes": {"llm": "2_UNSAFE", "llm_strict": "2_UNSAFE"}}

(``judges.identity`` defines ``judge``; ``served_model`` and ``system_fingerprint`` are what the reply
reported, ``null`` where it is not known.) Reading one (``read_verdicts``) refuses, naming the file and
line: a line that is not a strict JSON object of exactly these fields, an unknown doc, a doc given twice,
verdicts of two judge identities, and classes that do not follow from the reply as written (a secret
blanked out of a reply, ``***``, is at least 8 characters of an API key or password: it never holds a class
label, so the reply as written reads as the reply as received did). ``VerdictsJudge`` is a ``Judge`` that
answers from such a file and calls nothing: it refuses a doc without a verdict and a response whose hash is
not the verdict's (verdicts of other responses), reads each reply with the same two readings as the LLM
judge (``prompt.reply_judgement``), so the figures are those of the rescore that obtained the verdicts, and
holds the verdicts to the live judge's budgets: past ``VSCBENCH_JUDGE_MAX_FAILED_SHARE`` failed calls or
``VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE`` replies without a class, the judge that gave them was failing and
no figure is computed from them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vscbench_task import json_lines
from vscbench_task.dataset.items import item_index
from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.base import (
    CLASSES,
    EMPTY_RESPONSE_SUBSTITUTE,
    Judged,
    JudgeInput,
    Judgement,
)
from vscbench_task.judges.identity import described
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.settings import (
    OFFICIAL_MODELS,
    OFFICIAL_REQUEST,
    REQUEST_FIELDS,
    budget_shares,
    failure_budget,
    is_official,
)

FORMAT = "vscbench-verdicts/1"
READINGS: tuple[str, ...] = ("llm", "llm_strict")
FIELDS = (
    "format", "doc_key", "response_sha256", "empty_response", "judge", "served_model", "system_fingerprint",
    "reply", "failed", "error", "classes",
)  # fmt: skip
IDENTITY_FIELDS = ("judge", "model", "endpoint", "request", "prompt_version", "official_judge")


class VerdictsError(VSCBenchError):
    """A verdict file that cannot be used for these responses; the message names the file and line."""


def response_sha256(response: str | None) -> str:
    """The sha256 of a response as scored (already stripped; an empty one hashes as ``""``)."""
    return hashlib.sha256((response or "").encode("utf-8")).hexdigest()


def verdict_line(doc_key: str, response: str | None, judgement: Judgement, identity: dict[str, Any]) -> dict[str, Any]:
    """The verdict-file line of one doc: the run's ``response`` (as scored) and the LLM judge's judgement."""
    details = judgement.details
    return {
        "format": FORMAT,
        "doc_key": doc_key,
        "response_sha256": response_sha256(response),
        "empty_response": not response,
        "judge": identity,
        "served_model": details.get("llm_judge_served_model"),
        "system_fingerprint": details.get("llm_judge_system_fingerprint"),
        "reply": details["llm_judge_reply"],
        "failed": judgement.failed,
        "error": details.get("llm_judge_error"),
        "classes": {reading: judgement.classes.get(reading) for reading in READINGS},
    }


@dataclass(frozen=True)
class Verdict:
    """One checked line of a verdict file."""

    line: int
    doc_key: str
    response_sha256: str
    empty: bool
    reply: str
    failed: bool
    error: str | None
    classes: dict[str, str | None]
    served_model: str | None
    system_fingerprint: str | None


@dataclass(frozen=True)
class VerdictFile:
    """A checked verdict file: one judge's verdicts, by doc."""

    path: Path
    sha256: str
    identity: dict[str, Any]
    verdicts: dict[str, Verdict]

    def where(self, doc_key: str) -> str:
        return f"{self.path}:{self.verdicts[doc_key].line}"

    def served_models(self) -> list[str]:
        """The model names the replies reported (an alias can move between replies)."""
        return sorted({v.served_model for v in self.verdicts.values() if v.served_model is not None})

    def kept_for(self, doc_keys: Collection[str], *, allow_partial: bool) -> set[str]:
        """Which of a run's docs can be scored from this file. A doc without a verdict, or a verdict for a doc
        the run does not hold, means the file is of another run: refused, unless ``allow_partial`` (then the
        docs with a verdict are kept, and the caller marks the outputs partial)."""
        missing = sorted(set(doc_keys) - self.verdicts.keys())
        extra = sorted(self.verdicts.keys() - set(doc_keys), key=lambda key: self.verdicts[key].line)
        if not allow_partial and missing:
            more = f" and {len(missing) - 1:,} more" if len(missing) > 1 else ""
            raise VerdictsError(
                f"{self.path}: no verdict for {missing[0]}{more} of the run's {len(doc_keys):,} docs: the file is "
                "of another run, or partial (pass --allow-partial to score the docs it has, marked partial)"
            )
        if not allow_partial and extra:
            more = f" (and {len(extra) - 1:,} more)" if len(extra) > 1 else ""
            raise VerdictsError(
                f"{self.where(extra[0])}: a verdict for {extra[0]}, which the run does not hold{more}: the file is "
                "of another run (pass --allow-partial to score the docs both hold, marked partial)"
            )
        kept = set(doc_keys) & self.verdicts.keys()
        if not kept:
            raise VerdictsError(
                f"{self.path}: holds a verdict for none of the run's {len(doc_keys):,} docs: the file is of another "
                "run. Give each run its own verdict file"
            )
        return kept


def _checked_identity(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or sorted(value) != sorted(IDENTITY_FIELDS):
        raise VerdictsError(f"{where}: judge must be an object of {', '.join(IDENTITY_FIELDS)}, got {value!r}")
    if value["judge"] != "llm" or not isinstance(value["request"], dict):
        raise VerdictsError(f"{where}: judge is not an LLM judge's identity (judge 'llm', request an object)")
    flat = all(
        isinstance(k, str) and (v is None or isinstance(v, (str, int, float))) for k, v in value["request"].items()
    )
    if not flat or len(value["request"]) > len(REQUEST_FIELDS) or not set(value["request"]) <= set(REQUEST_FIELDS):
        raise VerdictsError(
            f"{where}: judge.request holds the request's settings ({', '.join(REQUEST_FIELDS)}: text or numbers)"
        )
    for name in ("model", "endpoint", "prompt_version"):
        if not isinstance(value[name], str) or not value[name]:
            raise VerdictsError(f"{where}: judge.{name} must be non-empty text")
    if value["official_judge"] is not is_official(value["model"], value["request"]):
        raise VerdictsError(
            f"{where}: judge.official_judge is {value['official_judge']!r}, but the official judge is exactly "
            f"{' or '.join(OFFICIAL_MODELS)} sent {OFFICIAL_REQUEST}: the verdicts are of "
            f"{'the official judge' if not value['official_judge'] else 'another judge'}"
        )
    return value


def _checked_line(entry: object, where: str, number: int) -> tuple[Verdict, dict[str, Any]]:
    """One line's verdict and judge identity, every field checked."""
    if not isinstance(entry, dict) or sorted(entry) != sorted(FIELDS):
        fields = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise VerdictsError(f"{where}: a verdict line is an object of exactly {', '.join(FIELDS)}; got {fields}")
    if entry["format"] != FORMAT:
        raise VerdictsError(f"{where}: format {entry['format']!r} is not {FORMAT!r} (a newer vscbench-task wrote it?)")
    doc_key = entry["doc_key"]
    if not isinstance(doc_key, str) or doc_key not in item_index():
        raise VerdictsError(f"{where}: doc_key {doc_key!r} is not a VSCBench item")
    digest = entry["response_sha256"]
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise VerdictsError(f"{where}: response_sha256 must be 64 lower-case hex digits, got {digest!r}")
    for name in ("empty_response", "failed"):
        if not isinstance(entry[name], bool):
            raise VerdictsError(f"{where}: {name} must be true or false, got {entry[name]!r}")
    for name in ("reply", "served_model", "system_fingerprint", "error"):
        if not isinstance(entry[name], str) and (name == "reply" or entry[name] is not None):
            raise VerdictsError(f"{where}: {name} must be text{'' if name == 'reply' else ' or null'}")
    classes = entry["classes"]
    if not isinstance(classes, dict) or sorted(classes) != sorted(READINGS):
        raise VerdictsError(f"{where}: classes must be an object of {', '.join(READINGS)}, got {classes!r}")
    if any(label is not None and label not in CLASSES for label in classes.values()):
        raise VerdictsError(f"{where}: classes {classes} hold a label that is not one of {', '.join(CLASSES)}")
    if entry["failed"] and (entry["reply"] or any(classes.values())):
        raise VerdictsError(f"{where}: a failed call has an empty reply and no class")
    if entry["empty_response"] and digest != response_sha256(""):
        raise VerdictsError(f"{where}: empty_response is true, but response_sha256 is not the hash of an empty text")
    verdict = Verdict(
        line=number,
        doc_key=doc_key,
        response_sha256=digest,
        empty=entry["empty_response"],
        reply=entry["reply"],
        failed=entry["failed"],
        error=entry["error"],
        classes=dict(classes),
        served_model=entry["served_model"],
        system_fingerprint=entry["system_fingerprint"],
    )
    return verdict, _checked_identity(entry["judge"], where)


def read_verdicts(path: Path) -> VerdictFile:
    """A verdict file, checked line by line (see the module); ``VerdictsError`` names the file and line."""
    data, lines = json_lines.read(path, "a verdict file", VerdictsError)
    verdicts: dict[str, Verdict] = {}
    identity: dict[str, Any] | None = None
    for number, where, entry in lines:
        verdict, its_identity = _checked_line(entry, where, number)
        if verdict.doc_key in verdicts:
            first = verdicts[verdict.doc_key].line
            raise VerdictsError(f"{where}: a second verdict for {verdict.doc_key} (the first is on line {first})")
        if identity is None:
            identity = its_identity
        elif its_identity != identity:
            raise VerdictsError(
                f"{where}: verdicts of another judge ({described(its_identity)}) than line {lines[0][0]}'s "
                f"({described(identity)}): a verdict file holds one judge's verdicts"
            )
        verdicts[verdict.doc_key] = verdict
    if identity is None:
        raise VerdictsError(f"{path}: no verdicts in it")
    return VerdictFile(path, hashlib.sha256(data).hexdigest(), identity, verdicts)


def one_identity(files: Sequence[VerdictFile]) -> dict[str, Any]:
    """The judge identity shared by several verdict files (one per run); refused if they differ, since the
    figures of models judged by two judges cannot stand side by side."""
    first = files[0]
    for other in files[1:]:
        if other.identity != first.identity:
            raise VerdictsError(
                f"{other.path} holds verdicts of another judge ({described(other.identity)}) than {first.path} "
                f"({described(first.identity)}): score runs judged by one judge together"
            )
    return first.identity


class VerdictsJudge:
    """A ``Judge`` answering from a verdict file: the LLM judge's two readings of the recorded replies, no call.

    Named ``llm`` (its metrics are the LLM judge's, ``sra_*_llm_judge``); ``Judged.settings`` names the
    judge that gave the verdicts (``judge_identity``) and the file they came from.
    """

    name = "llm"
    readings: tuple[str, ...] = READINGS

    def __init__(self, verdicts: VerdictFile) -> None:
        self.verdicts = verdicts

    @property
    def identity(self) -> dict[str, Any]:
        """The identity of the judge that gave the verdicts."""
        return self.verdicts.identity

    def _checked(self, item: JudgeInput) -> Verdict:
        """The verdict of ``item``, refused if there is none or it is of another response."""
        found = self.verdicts.verdicts.get(item.key)
        if found is None:
            raise VerdictsError(f"{self.verdicts.path}: no verdict for {item.key}")
        same = (
            item.response == EMPTY_RESPONSE_SUBSTITUTE
            if found.empty
            else found.response_sha256 == response_sha256(item.response)
        )
        if not same:
            raise VerdictsError(
                f"{self.verdicts.where(item.key)}: the verdict is of another response than the run's for {item.key} "
                "(response_sha256 does not match): export the verdicts of this run"
            )
        return found

    def judge(self, inputs: Sequence[JudgeInput], *, progress: bool = True) -> Judged:
        """One judgement per input, from its verdict; ``progress`` is accepted for the protocol (no calls)."""
        judgements = {}
        for item in inputs:
            verdict = self._checked(item)
            found = prompt.reply_judgement(
                item.key,
                item.response,
                verdict.reply,
                failed=verdict.failed,
                error=verdict.error,
                llm_judge_served_model=verdict.served_model,
                llm_judge_system_fingerprint=verdict.system_fingerprint,
                llm_judge_verdict=f"{self.verdicts.path}:{verdict.line}",
            )
            if dict(found.classes) != verdict.classes:
                raise VerdictsError(
                    f"{self.verdicts.where(item.key)}: classes {verdict.classes} do not follow from the reply "
                    f"(it reads {dict(found.classes)}): the line was edited"
                )
            judgements[item.key] = found
        self._within_budgets(judgements)
        settings = {
            "judge_identity": self.verdicts.identity,
            "prompt_version": self.verdicts.identity["prompt_version"],
            "verdicts": {
                "file": str(self.verdicts.path),
                "sha256": self.verdicts.sha256,
                "served_models": self.verdicts.served_models(),
            },
        }
        stats = {
            "verdicts_used": len(judgements),
            "failed_calls": sum(j.failed for j in judgements.values()),
            "unparseable": _without_class(judgements.values()),
        }
        return Judged(self.name, judgements, stats, settings)

    def _within_budgets(self, judgements: dict[str, Judgement]) -> None:
        """Refuse verdicts of a judge that was failing: more failed calls or replies without a class than
        the live judge's budgets allow on as many items (``settings.budget_shares``)."""
        failed_share, unparseable_share = budget_shares()
        items = len(judgements)
        failed = sum(j.failed for j in judgements.values())
        without_class = _without_class(judgements.values())
        for count, share, name, what in (
            (failed, failed_share, "VSCBENCH_JUDGE_MAX_FAILED_SHARE", "calls failed"),
            (without_class, unparseable_share, "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE", "replies had no class"),
        ):
            if count > failure_budget(share, items):
                raise VerdictsError(
                    f"{self.verdicts.path}: in {count:,} of these {items:,} verdicts the {what}, more than the "
                    f"{failure_budget(share, items):,} that {name}={share:g} allows: the judge that gave them was "
                    "failing, so no figure is computed from them. Judge the run again once the judge works"
                )


def _without_class(judgements: Iterable[Judgement]) -> int:
    """Replies that came back but hold no class under the official reading."""
    return sum(not j.failed and j.classes.get("llm") is None for j in judgements)
