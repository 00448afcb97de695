"""The user guides, shipped with the package so that a message can point at a file every install has."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def guide(name: str) -> Path:
    """The installed path of a guide: ``llm_judge`` (the LLM judge), ``report`` (``vscbench report``),
    ``hosts`` (lm-evaluation-harness, inspect_ai, vLLM, VLMEvalKit, any generator) or ``calibration`` (the
    calibration split and methods, comparing them, utility)."""
    return FOLDER / f"{name}.md"
