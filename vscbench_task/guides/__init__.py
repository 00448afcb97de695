"""The user guides, shipped with the package so that a message can point at a file every install has."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def guide(name: str) -> Path:
    """The installed path of a guide: ``llm_judge`` (the LLM judge), ``report`` (``vscbench report``),
    ``hosts`` (lm-evaluation-harness, inspect_ai, vLLM, VLMEvalKit, any generator), ``calibration`` (the
    calibration split and methods, comparing them, utility) or ``annotate`` (labelling your own responses)."""
    return FOLDER / f"{name}.md"
