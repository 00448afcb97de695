"""Each score's validity beside it: how far the judge that produced it agrees with human labels.

``vscbench report`` and ``vscbench rescore`` show, next to a judge's figures, that judge's measured
agreement with humans:

* the keyword judge: computed here, offline, from the MSTS gold set shipped with the package (a few
  tenths of a second);
* the LLM judge: read from the validation ``vscbench validate-judge --judge llm`` saved for the same
  judge (model, endpoint) and prompt version beside the judge's cache, or from a file given with
  ``--validation``. Without one, the judge is reported as *not validated against human labels*.
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
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.judges.llm.prompt import PROMPT_VERSION
from vscbench_task.judges.llm.settings import JudgeSettings, from_env
from vscbench_task.judges.names import JUDGE_OF_READING, reading_label

SAVED_DIR = "judge-validations"
LIVE_RESAMPLES = 1000  # enough for a two-decimal interval, fast enough for every report


class ValidationMismatch(VSCBenchError):
    """A validation file that is not for the judge being used."""


def saved_path(settings: JudgeSettings) -> Path:
    """Where ``validate-judge`` keeps the validation of this LLM judge (model, endpoint, prompt version)."""
    identity = json.dumps([settings.model, settings.endpoint, PROMPT_VERSION]).encode("utf-8")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", settings.model)[:60]
    return settings.cache_path.parent / SAVED_DIR / f"{readable}-{hashlib.sha256(identity).hexdigest()[:16]}.json"


def summarise(document: dict[str, Any], source: str) -> dict[str, Any]:
    """The headline of a validation, per gold set and reading: what a score's validity line shows."""
    sets = {}
    for name, gold in document["gold_sets"].items():
        per_reading = {}
        for reading, figures in gold["readings"].items():
            errors = figures["sra_errors"].values()
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
    return {"validated": True, "source": source, "created": document["created"], "gold_sets": sets}


def keyword_validity() -> dict[str, Any]:
    """The keyword judge against the shipped MSTS gold set, computed now."""
    from vscbench_task.validation.gold import load_msts
    from vscbench_task.validation.validate import validate

    document = validate(KeywordJudge(), [load_msts("msts")], resamples=LIVE_RESAMPLES, progress=False)
    return summarise(document, "computed from the MSTS gold set shipped with vscbench-task")


def _matches(document: dict[str, Any], settings: JudgeSettings) -> bool:
    saved = document.get("judge_settings") or {}
    return (
        document.get("judge") == "llm"
        and saved.get("model") == settings.model
        and saved.get("url") == settings.endpoint
        and document.get("prompt_version") == PROMPT_VERSION
    )


def llm_validity(settings: JudgeSettings, given: Path | None = None) -> dict[str, Any]:
    """The saved validation of this LLM judge (or ``given``), or a record saying there is none."""
    path = given or saved_path(settings)
    if not path.is_file():
        if given is not None:
            raise ValidationMismatch(f"--validation {given}: no such file")
        return {
            "validated": False,
            "note": f"not validated against human labels: run `vscbench validate-judge --judge llm` with these "
            f"judge settings (model {settings.model} at {settings.endpoint})",
        }
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValidationMismatch(f"{path}: not a readable validation file ({err})") from None
    if not isinstance(document, dict) or not _matches(document, settings):
        raise ValidationMismatch(
            f"{path} is not a validation of this judge (model {settings.model} at {settings.endpoint}, prompt "
            f"version {PROMPT_VERSION}): validate this judge with `vscbench validate-judge --judge llm`"
        )
    return summarise(document, str(path))


def validity_for(reading: str, judge: Judge, given: Path | None = None) -> dict[str, Any]:
    """The validity record of the judge behind ``reading``."""
    if JUDGE_OF_READING[reading] == "keyword":
        return keyword_validity()
    settings = getattr(judge, "settings", None) or from_env()
    return llm_validity(settings, given)


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
        interval = "" if low is None else f" [{low:.2f}, {high:.2f}]"
        worst = figures["max_sra_error_points"]
        error = "" if worst is None or math.isnan(worst) else (
            f"; per model its SRA is off by up to {worst:.1f} points ({figures['max_sra_error_model']})"
        )  # fmt: skip
        parts.append(
            f"{gold['title']}: {figures['n']:,} human-labelled responses, accuracy {100 * figures['accuracy']:.1f}%, "
            f"Cohen's kappa {figures['kappa']:.3f}{interval} (humans among themselves: "
            f"{gold['human_ceiling_kappa']:.3f}){error}"
        )
    return f"Validity of the {label} against human labels ({validity['source']}): " + "; ".join(parts) + "."
