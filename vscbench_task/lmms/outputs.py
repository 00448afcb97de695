"""Reading what ``lmms-eval --log_samples --output_path DIR`` wrote, back into host-neutral responses.

lmms-eval writes ``<stamp>_results.json`` and one ``<stamp>_samples_<task>.jsonl`` per task, in DIR or
a model sub-folder of it. From each logged sample only two things are taken: the ``doc_key`` our
``process_results`` logged under the task's metric names, and the model's response (``filtered_resps``).
Everything else a sample or record holds (labels, verdicts, categories) is ignored: scoring looks it up
in the packaged metadata, so an edited or foreign file cannot change what an item is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from vscbench_task.errors import VSCBenchError
from vscbench_task.scoring.metric_specs import TASKS, task_metrics
from vscbench_task.scoring.records import RecordError, Response, make_response

RESULTS_SUFFIX = "_results.json"


class RunNotFound(VSCBenchError):
    """No lmms-eval run where one was expected, or several where one was meant."""


@dataclass
class Run:
    """One lmms-eval invocation: its results file and, per VSCBench task, the logged responses."""

    results_path: Path | None
    results: dict[str, Any]
    responses: dict[str, list[Response]] = field(default_factory=dict)

    @property
    def model(self) -> str:
        """A readable model name: the ``pretrained=`` argument if there is one, else the backend."""
        config = self.results.get("config", {})
        args = str(config.get("model_args") or "") if isinstance(config, dict) else ""
        for part in args.split(","):
            if part.startswith("pretrained="):
                return part.removeprefix("pretrained=")
        model = self.results.get("model_name") or (config.get("model") if isinstance(config, dict) else None)
        return str(model or "unknown-model")


@cache
def _metric_names() -> frozenset[str]:
    return frozenset(spec.name for task in TASKS for spec in task_metrics(task))


def _response(sample: dict[str, Any]) -> str:
    """The response as ``process_results`` saw it: lmms-eval strips generated text before scoring
    (``ConfigurableTask.process_results``) but logs it unstripped, so a judge re-reading the log must
    strip too, or padded responses would differ from the ones the judge tasks recorded."""
    value = sample.get("filtered_resps", sample.get("resps", ""))
    while isinstance(value, list):  # [[text]] or [text] depending on the lmms-eval version
        value = value[0] if value else ""
    return "" if value is None else value.strip() if isinstance(value, str) else value


def sample_response(sample: object, *, where: str) -> Response | None:
    """The VSCBench response in one logged sample, or None for another task's sample."""
    if not isinstance(sample, dict):
        raise RecordError(f"{where}: a logged sample is a JSON object, not a {type(sample).__name__}")
    keys = {
        value.get("doc_key")
        for name, value in sample.items()
        if name in _metric_names() and isinstance(value, dict) and "doc_key" in value
    }
    if not keys:
        return None
    if len(keys) > 1:
        raise RecordError(f"{where}: the sample's metric records name different items ({sorted(map(str, keys))})")
    return make_response(keys.pop(), _response(sample), where=where)


def load_samples(path: str | Path) -> list[Response]:
    """All VSCBench responses of one ``*_samples_<task>.jsonl`` file."""
    responses = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
            except json.JSONDecodeError as err:
                raise RecordError(f"{path}:{number}: not a JSON line ({err})") from None
            response = sample_response(sample, where=f"{path}:{number}")
            if response is not None:
                responses.append(response)
    return responses


def _task_of(samples: Path, stamp: str) -> str:
    return samples.name.removeprefix(f"{stamp}_samples_").removesuffix(".jsonl")


def load_run(path: str | Path) -> Run:
    """Load a run from a results file, a samples file, or a folder holding exactly one results file.

    A folder with several results files is refused rather than read by picking one: lmms-eval writes
    ``DIR/<model>/<stamp>_results.json``, so a shared ``--output_path`` (or a repeated run) holds many
    models or runs, and which one was meant is the user's call. Raises ``RunNotFound`` saying what was
    looked for when there is nothing VSCBench in it, or listing the candidates when there are several.
    """
    path = Path(path)
    if not path.exists():
        raise RunNotFound(
            f"no such run: {path} (pass what lmms-eval --log_samples --output_path wrote: its folder, a "
            "*_results.json or a *_samples_<task>.jsonl file)"
        )
    if path.is_file() and path.suffix == ".jsonl":
        stamp = path.name.split("_samples_")[0]
        return Run(None, {}, {_task_of(path, stamp): load_samples(path)})
    if path.is_dir():
        candidates = sorted(path.rglob(f"*{RESULTS_SUFFIX}"))
        if not candidates:
            raise RunNotFound(f"no lmms-eval results file (*{RESULTS_SUFFIX}) under {path}")
        if len(candidates) > 1:
            listing = "\n".join(f"  {candidate}" for candidate in candidates)
            raise RunNotFound(
                f"{path} holds {len(candidates)} lmms-eval results files, one per model or run:\n{listing}\n"
                "pass each model's folder or results file as its own run"
            )
        path = candidates[0]
    stamp = path.name.removesuffix(RESULTS_SUFFIX)
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RecordError(f"{path}: not a readable lmms-eval results file ({err})") from None
    if not isinstance(results, dict):
        raise RecordError(f"{path}: an lmms-eval results file holds a JSON object, not a {type(results).__name__}")
    sample_files = sorted(path.parent.glob(f"{stamp}_samples_*.jsonl"))
    responses = {_task_of(f, stamp): found for f in sample_files if (found := load_samples(f))}
    if not responses:
        raise RunNotFound(
            f"{path} has no VSCBench samples next to it: run lmms-eval with --log_samples on a vscbench task"
        )
    return Run(path, results, responses)
