"""Each score's validity beside it: how far the judge that produced it agrees with human labels.

``vscbench report`` and ``vscbench rescore`` show, next to a judge's figures, that judge's measured
agreement with humans:

* the keyword judge: computed here, offline, from the MSTS gold set shipped with the package (a few
  tenths of a second);
* the LLM judge: read from the validations ``vscbench validate-judge --judge llm`` saved for the same
  judge (model, endpoint) and prompt version beside the judge's cache, or from a file given with
  ``--validation``. Without one, the judge is reported as *not validated against human labels*.

A validation is saved under the judge's identity *and* its gold sets' (their names, file hashes and the
``--limit``), so a ``--limit 10`` smoke test is kept beside a full validation and never replaces it. The
full one is cited (the one covering the most human-labelled responses, then the newest); when only limited
ones exist, the largest is cited and the sentence says plainly that it is limited. A figure that could not
be computed (kappa over responses all judged alike: NaN, ``null`` in the file) reads "undefined".
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.base import Judge
from vscbench_task.judges.identity import described
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.judges.llm.prompt import PROMPT_VERSION
from vscbench_task.judges.llm.settings import OFFICIAL_REQUEST, JudgeSettings, from_env
from vscbench_task.judges.names import JUDGE_OF_READING, reading_label
from vscbench_task.judges.verdicts import VerdictsJudge

SAVED_DIR = "judge-validations"
LIVE_RESAMPLES = 1000  # enough for a two-decimal interval, fast enough for every report


class ValidationMismatch(VSCBenchError):
    """A validation file that is not for the judge being used."""


def _judge_prefix(settings: JudgeSettings) -> str:
    """The start of the names of this LLM judge's saved validations (model, endpoint, prompt version)."""
    identity = json.dumps([settings.model, settings.endpoint, PROMPT_VERSION]).encode("utf-8")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", settings.model)[:60]
    return f"{readable}-{hashlib.sha256(identity).hexdigest()[:16]}"


def gold_identity(document: dict[str, Any]) -> str:
    """What a validation was measured on: its gold sets' names and file hashes, and ``--limit``, hashed."""
    sets = sorted((name, sorted(gold["files_sha256"].items())) for name, gold in document["gold_sets"].items())
    return hashlib.sha256(json.dumps([sets, document.get("limit")]).encode("utf-8")).hexdigest()[:12]


def saved_path(settings: JudgeSettings, document: dict[str, Any]) -> Path:
    """Where ``validate-judge`` keeps a validation of this LLM judge: one file per judge *and* gold sets."""
    return settings.cache_path.parent / SAVED_DIR / f"{_judge_prefix(settings)}-{gold_identity(document)}.json"


def is_limited(document: dict[str, Any]) -> bool:
    """Whether a validation covers only part of its gold sets: ``--limit`` recorded, or (files saved before
    it was) fewer responses than the set's rows less those left out."""
    if document.get("limit") is not None:
        return True
    return any(gold["n"] + gold["left_out"] < gold["rows"] for gold in document["gold_sets"].values())


def _responses(document: dict[str, Any]) -> int:
    return sum(gold["n"] for gold in document["gold_sets"].values())


def summarise(document: dict[str, Any], source: str) -> dict[str, Any]:
    """The headline of a validation, per gold set and reading: what a score's validity line shows.
    Raises ``ValidationMismatch`` for a document that is not a validation (a field missing or mistyped)."""
    try:
        sets = {}
        for name, gold in document["gold_sets"].items():
            per_reading = {}
            for reading, figures in gold["readings"].items():
                errors = [e for e in figures["sra_errors"].values() if _defined(e["max_abs_error_points"])]
                worst = max(errors, key=lambda e: e["max_abs_error_points"], default=None)
                per_reading[reading] = {
                    "n": figures["n"],
                    "accuracy": figures["accuracy"],
                    "kappa": figures["kappa"],
                    "kappa_95ci": figures["kappa_95ci"],
                    "max_sra_error_points": worst["max_abs_error_points"] if worst else None,
                    "max_sra_error_model": worst["max_error_model"] if worst else None,
                }
            sets[name] = {"title": gold["title"], "human_ceiling_kappa": gold["human_ceiling"]["kappa"], **per_reading}
        limited = is_limited(document)
        created = document["created"]
    except (KeyError, TypeError, AttributeError) as err:
        raise ValidationMismatch(
            f"{source}: not a validation written by `vscbench validate-judge` (no usable {err} field): pass the "
            "validation.json it wrote, or validate this judge again"
        ) from None
    return {
        "validated": True,
        "source": source,
        "created": created,
        "limited": limited,
        "limit": document.get("limit"),
        "gold_sets": sets,
    }


def keyword_validity() -> dict[str, Any]:
    """The keyword judge against the shipped MSTS gold set, computed now."""
    from vscbench_task.validation.gold import load_msts
    from vscbench_task.validation.validate import validate

    document = validate(KeywordJudge(), [load_msts("msts")], resamples=LIVE_RESAMPLES, progress=False)
    return summarise(document, "computed from the MSTS gold set shipped with vscbench-task")


def _matches(document: dict[str, Any], settings: JudgeSettings) -> bool:
    return _of_judge(document, settings.model, settings.endpoint, PROMPT_VERSION, settings.request())


def _of_judge(
    document: dict[str, Any], model: str, endpoint: str, prompt_version: str, request: dict[str, Any]
) -> bool:
    """Whether a validation is of this judge: model, endpoint, prompt version and request (a validation
    written before the request was recorded was of the official request, the only one then sent)."""
    saved = document.get("judge_settings") or {}
    return (
        document.get("judge") == "llm"
        and saved.get("model") == model
        and saved.get("url") == endpoint
        and document.get("prompt_version") == prompt_version
        and saved.get("request", OFFICIAL_REQUEST) == request
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as err:
        raise ValidationMismatch(f"{path}: not a readable validation file ({type(err).__name__}: {err})") from None
    if not isinstance(document, dict):
        raise ValidationMismatch(f"{path}: not a validation file (a JSON {type(document).__name__}, not an object)")
    return document


def saved_validations(settings: JudgeSettings) -> list[tuple[Path, dict[str, Any]]]:
    """The validations ``validate-judge`` saved for this judge, best first: full ones before limited ones,
    then the most human-labelled responses, then the newest. Unreadable or foreign files are skipped."""
    folder = settings.cache_path.parent / SAVED_DIR
    found = []
    for path in sorted(folder.glob(f"{_judge_prefix(settings)}*.json")):
        try:
            document = _read(path)
            summarise(document, str(path))
        except ValidationMismatch:
            continue
        if _matches(document, settings):
            found.append((path, document))
    newest_first = sorted(found, key=lambda f: str(f[1]["created"]), reverse=True)
    return sorted(newest_first, key=lambda f: (is_limited(f[1]), -_responses(f[1])))


def llm_validity(settings: JudgeSettings, given: Path | None = None) -> dict[str, Any]:
    """The best saved validation of this LLM judge (or ``given``), or a record saying there is none."""
    if given is not None:
        if not given.is_file():
            raise ValidationMismatch(f"--validation {given}: no such file")
        document = _read(given)
        if not _matches(document, settings):
            raise ValidationMismatch(
                f"{given} is not a validation of this judge (model {settings.model} at {settings.endpoint}, prompt "
                f"version {PROMPT_VERSION}): validate this judge with `vscbench validate-judge --judge llm`"
            )
        return summarise(document, str(given))
    saved = saved_validations(settings)
    if not saved:
        return {
            "validated": False,
            "note": f"not validated against human labels: run `vscbench validate-judge --judge llm` with these "
            f"judge settings (model {settings.model} at {settings.endpoint})",
        }
    path, document = saved[0]
    return summarise(document, str(path))


def verdicts_validity(identity: dict[str, Any], given: Path | None) -> dict[str, Any]:
    """The validity of the judge that gave a verdict file: from ``given`` (``--validation``), the
    validate-judge file of that judge, checked to be of it; without one, a record saying so."""
    if given is None:
        return {
            "validated": False,
            "note": "no validation given for the judge of these verdicts: pass --validation FILE, the "
            f"validate-judge file of {described(identity)}",
        }
    if not given.is_file():
        raise ValidationMismatch(f"--validation {given}: no such file")
    document = _read(given)
    if not _of_judge(
        document, identity["model"], identity["endpoint"], identity["prompt_version"], identity["request"]
    ):
        raise ValidationMismatch(f"{given} is not a validation of the judge of these verdicts, {described(identity)}")
    return summarise(document, str(given))


def validity_for(reading: str, judge: Judge, given: Path | None = None) -> dict[str, Any]:
    """The validity record of the judge behind ``reading``."""
    if JUDGE_OF_READING[reading] == "keyword":
        return keyword_validity()
    if isinstance(judge, VerdictsJudge):
        return verdicts_validity(judge.verdicts.identity, given)
    settings = getattr(judge, "settings", None) or from_env()
    return llm_validity(settings, given)


def _defined(value: object) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value)


def _figure(value: object, shown: str) -> str:
    """``value`` formatted by ``shown`` (a format spec), or "undefined" for a figure that has none."""
    return format(value, shown) if _defined(value) else "undefined"


def sentence(validity: dict[str, Any], reading: str) -> str:
    """One plain sentence: the reading's measured agreement with humans, per gold set."""
    label = reading_label(reading)
    if not validity.get("validated"):
        return f"Validity of the {label}: {validity['note']}."
    parts = []
    for gold in validity["gold_sets"].values():
        figures = gold.get(reading)
        if figures is None:
            continue
        low, high = figures["kappa_95ci"]
        interval = f" [{low:.2f}, {high:.2f}]" if _defined(low) and _defined(high) else ""
        worst = figures["max_sra_error_points"]
        error = "" if not _defined(worst) else (
            f"; per model its SRA is off by up to {worst:.1f} points ({figures['max_sra_error_model']})"
        )  # fmt: skip
        accuracy = f"{100 * figures['accuracy']:.1f}%" if _defined(figures["accuracy"]) else "undefined"
        parts.append(
            f"{gold['title']}: {figures['n']:,} human-labelled responses, accuracy {accuracy}, Cohen's kappa "
            f"{_figure(figures['kappa'], '.3f')}{interval} (humans among themselves: "
            f"{_figure(gold['human_ceiling_kappa'], '.3f')}){error}"
        )
    head = f"Validity of the {label} against human labels ({validity['source']})"
    if validity.get("limited"):
        limit = f" --limit {validity['limit']}" if validity.get("limit") is not None else " with --limit"
        head += (
            f": ONLY A LIMITED VALIDATION EXISTS (validate-judge{limit}; run it without --limit for this judge's "
            "validity)"
        )
    return f"{head}: " + "; ".join(parts) + "."
