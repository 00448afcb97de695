"""Reading what ``lmms-eval --log_samples --output_path DIR`` wrote, back into VSCBench records.

lmms-eval writes ``<stamp>_results.json`` and one ``<stamp>_samples_<task>.jsonl`` per task, in DIR or
a model sub-folder of it. Every logged sample carries the record ``process_results`` made (under each
metric name) and the model's response (``filtered_resps``); re-scoring and reports start from here, so
nothing needs the model again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vscbench_task.records import RECORD_FIELDS, Record

RESULTS_SUFFIX = "_results.json"


@dataclass
class Run:
    """One lmms-eval invocation: its results file and, per VSCBench task, the records with responses."""

    results_path: Path | None
    results: dict[str, Any]
    records: dict[str, list[Record]] = field(default_factory=dict)

    @property
    def model(self) -> str:
        """A readable model name: the ``pretrained=`` argument if there is one, else the backend."""
        config = self.results.get("config", {})
        args = str(config.get("model_args") or "")
        for part in args.split(","):
            if part.startswith("pretrained="):
                return part.removeprefix("pretrained=")
        return str(self.results.get("model_name") or config.get("model") or "unknown-model")


def _response(sample: dict[str, Any]) -> str:
    """The response as ``process_results`` saw it: lmms-eval strips generated text before scoring
    (``ConfigurableTask.process_results``) but logs it unstripped, so a judge re-reading the log must
    strip too, or padded responses would differ from the ones the judge tasks recorded."""
    value = sample.get("filtered_resps", sample.get("resps", ""))
    while isinstance(value, list):  # [[text]] or [text] depending on the lmms-eval version
        value = value[0] if value else ""
    return "" if value is None else str(value).strip()


def sample_record(sample: dict[str, Any]) -> Record | None:
    """The VSCBench record in one logged sample (with its response), or None for another task's sample."""
    for value in sample.values():
        if isinstance(value, dict) and all(f in value for f in RECORD_FIELDS):
            return {"response": _response(sample), **value}  # a record's own (stripped) response wins
    return None


def load_samples(path: str | Path) -> list[Record]:
    """All VSCBench records of one ``*_samples_<task>.jsonl`` file."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = sample_record(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not a JSON line ({err})") from None
            if record is not None:
                records.append(record)
    return records


def _task_of(samples: Path, stamp: str) -> str:
    return samples.name.removeprefix(f"{stamp}_samples_").removesuffix(".jsonl")


def load_run(path: str | Path) -> Run:
    """Load a run from a results file, a samples file, or a folder holding exactly one results file.

    A folder with several results files is refused rather than read by picking one: lmms-eval writes
    ``DIR/<model>/<stamp>_results.json``, so a shared ``--output_path`` (or a repeated run) holds many
    models or runs, and which one was meant is the user's call. Raises ``FileNotFoundError`` with what
    was looked for when there is nothing VSCBench in it, ``ValueError`` listing the candidates when
    there are several.
    """
    path = Path(path)
    if path.is_file() and path.suffix == ".jsonl":
        stamp = path.name.split("_samples_")[0]
        return Run(None, {}, {_task_of(path, stamp): load_samples(path)})
    if path.is_dir():
        candidates = sorted(path.rglob(f"*{RESULTS_SUFFIX}"))
        if not candidates:
            raise FileNotFoundError(f"no lmms-eval results file (*{RESULTS_SUFFIX}) under {path}")
        if len(candidates) > 1:
            listing = "\n".join(f"  {candidate}" for candidate in candidates)
            raise ValueError(
                f"{path} holds {len(candidates)} lmms-eval results files, one per model or run:\n{listing}\n"
                "pass each model's folder or results file as its own run"
            )
        path = candidates[0]
    stamp = path.name.removesuffix(RESULTS_SUFFIX)
    results = json.loads(path.read_text(encoding="utf-8"))
    sample_files = sorted(path.parent.glob(f"{stamp}_samples_*.jsonl"))
    records = {_task_of(f, stamp): recs for f in sample_files if (recs := load_samples(f))}
    if not records:
        raise FileNotFoundError(
            f"{path} has no VSCBench samples next to it: run lmms-eval with --log_samples on a vscbench task"
        )
    return Run(path, results, records)
