"""A model's run, in one shape whichever host produced it: what ``vscbench rescore`` and ``report`` score.

A run is a model's responses per task (``Response``: ``doc_key`` + text, checked), plus what the host
recorded about it. Each host's reader (``lmms.outputs``, ``lm_harness.outputs``, ``inspect_tasks.logs``,
``responses_file``; chosen by ``run_readers``) gives this same ``Run``. A task's responses are keyed by
the lmms-eval task of their part (``vscbench_image``, ``vscbench_text``), so every host's run is scored
with the same metric tables; a host that splits a part across tasks (lm-eval's text part) has them merged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vscbench_task.calibration.split import FULL
from vscbench_task.errors import VSCBenchError
from vscbench_task.json_lines import loads
from vscbench_task.scoring.records import RecordError, Response

BASELINE = "baseline"  # the method of the benchmark's own tasks: the raw prompt, nothing added


class RunNotFound(VSCBenchError):
    """No run where one was expected, or several where one was meant."""


@dataclass
class Run:
    """One model's run: its responses per task and what its host recorded.

    ``stamp`` and ``folder`` name where ``vscbench rescore`` writes by default
    (``<folder>/<stamp>_rescore_<judge>.json``: a name no reader here takes for a host's own file).
    ``results`` is the host's own results document when it has lmms-eval's shape (else empty), read
    from ``results_path``; ``partial`` maps a task whose samples are fewer than the run planned to
    (found, planned); only runs loaded with ``allow_partial`` have any. ``files`` are the run's files (those
    read, and the host's other outputs of the same run beside them), which no output may overwrite.
    ``split`` is the benchmark split the run covers (``calibration.split``: a run is complete when it covers
    its split) and ``method`` the calibration method that made the responses with its parameters as the run
    recorded them (``{"name": "baseline"}`` for the plain tasks; empty when the run records nothing, as a
    responses file).
    """

    host: str
    model: str
    stamp: str
    folder: Path
    results_path: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)
    responses: dict[str, list[Response]] = field(default_factory=dict)
    partial: dict[str, tuple[int, int]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    split: str = FULL
    method: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """What the run is, for titles: its method (with the steering strength) and split when they are not
        the benchmark's defaults."""
        name = self.method.get("name")
        steering = self.method.get("steering")
        if name and isinstance(steering, dict) and isinstance(steering.get("alpha"), (int, float)):
            name = f"{name} alpha={steering['alpha']:g}"
        return run_label(name, self.split)

    def doc_keys(self) -> set[str]:
        """Every doc the run answered, in any task."""
        return {r.doc_key for responses in self.responses.values() for r in responses}

    def keeping(self, doc_keys: set[str]) -> Run:
        """The run with only the responses to ``doc_keys``: a task that loses some is marked partial (the
        docs kept, and the docs the run evaluated), one that loses all of them too (``(0, evaluated)``: its
        part is gone from the figures, and the outputs say so). Scoring a run with verdicts that cover part
        of it (``--allow-partial``) goes through here."""
        responses = {task: [r for r in found if r.doc_key in doc_keys] for task, found in self.responses.items()}
        partial = dict(self.partial)
        for task, found in self.responses.items():
            if len(responses[task]) < len(found):
                partial[task] = (len(responses[task]), self.partial.get(task, (0, len(found)))[1])
        kept = {task: found for task, found in responses.items() if found}
        return replace(self, responses=kept, partial=partial)


def run_label(method: str | None, split: str) -> str:
    """``method`` (``None``: not recorded) and ``split`` as a short label: empty for a baseline run of the
    whole benchmark, else e.g. ``reminder, evaluation split``."""
    shown = [method] if method and method != BASELINE else []
    shown += [f"{split} split"] if split != FULL else []
    return ", ".join(shown)


def labels(split: str, method: dict[str, Any]) -> dict[str, Any]:
    """A run's split and method for machine-readable outputs, when they are not the whole benchmark and its
    baseline (outputs of such runs carry neither, as before there were splits and methods)."""
    found: dict[str, Any] = {}
    if split != FULL:
        found["split"] = split
    if method and method.get("name") != BASELINE:
        found["method"] = method
    return found


def check_one_split(run: Run, splits: dict[str, str], methods: dict[str, str], *, how: str) -> None:
    """Set ``run.split`` from its tasks' splits (task -> split), refusing a run whose tasks cover different
    splits or were made by different methods (``methods``: task -> method name): such a run is several
    experiments, which one row of a report or a comparison cannot stand for. ``how`` says how to pass
    each task's responses on its own."""
    for what, found in (("splits", splits), ("methods", methods)):
        if len(set(found.values())) > 1:
            listing = ", ".join(f"{task}: {value}" for task, value in sorted(found.items()))
            raise RunNotFound(f"{run.folder} holds tasks of different {what} ({listing}): {how}")
    if splits:
        run.split = next(iter(splits.values()))


def json_line(line: str, where: str) -> Any:
    """One line of a JSON Lines file, refused (``RecordError`` naming ``where``) if it is not JSON, an
    object in it repeats a key (readers differ on which value wins), or it nests too deep to parse."""
    try:
        return loads(line)
    except ValueError as err:
        raise RecordError(f"{where}: not a JSON line ({err})") from None


def json_lines(path: Path, what: str) -> Iterator[tuple[str, Any]]:
    """Each non-blank line of a host's JSON Lines file, parsed (``json_line``), with where it stands
    (``path:line``); a file that cannot be read as text is refused as ``what``."""
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    where = f"{path}:{number}"
                    yield where, json_line(line, where)
    except (OSError, UnicodeDecodeError) as err:
        raise RecordError(f"{path}: cannot be read as {what} ({err})") from None


def results_document(path: Path, host: str, objects: Sequence[str], per_task: Sequence[str]) -> dict[str, Any]:
    """A host's results file, after checking the fields this package reads have their shapes: each of
    ``objects`` present is an object, and so is each task's entry in each of ``per_task``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise RecordError(f"{path}: not a readable {host} results file ({err})") from None
    except RecursionError:
        raise RecordError(f"{path}: not a readable {host} results file (JSON nested too deep to read)") from None
    if not isinstance(document, dict):
        raise RecordError(f"{path}: an {host} results file holds a JSON object, not a {type(document).__name__}")
    for name in objects:
        if name in document and not isinstance(document[name], dict):
            raise RecordError(f"{path}: field {name!r} is a {type(document[name]).__name__}, not an object")
    for name in per_task:
        for task, entry in document.get(name, {}).items():
            if not isinstance(entry, dict):
                raise RecordError(f"{path}: {name}[{task!r}] is a {type(entry).__name__}, not an object")
    return document


def evaluated(results: dict[str, Any], task: str) -> int | None:
    """How many docs a host's results file says it evaluated for ``task`` (``n-samples[task].effective``),
    or ``None`` when it does not say it as a whole number."""
    entry = results.get("n-samples", {}).get(task)
    count = entry.get("effective") if isinstance(entry, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def planned_count(
    found: int, evaluated: int | None, *, samples: Path, host: str, full: int, allow_partial: bool
) -> int:
    """How many docs the run planned for a samples file holding ``found``: ``found`` when the run's own
    count (``evaluated``) agrees. A file shorter than its run (truncated or edited), or one whose run does
    not say how many it evaluated (``full``, the task's size, is then assumed), is refused with
    ``RecordError`` unless ``allow_partial``; a file longer than its run always is."""
    if evaluated is None:
        if not allow_partial:
            raise RecordError(
                f"{samples}: its run's results file does not say how many docs were evaluated (n-samples), so "
                f"whether the file is complete cannot be checked. Pass the {host} output as written (its results "
                "file beside its samples), or --allow-partial to score the samples found (marked partial)"
            )
        return max(full, found)
    if found == evaluated:
        return found
    if found > evaluated or not allow_partial:
        raise RecordError(
            f"{samples} holds {found:,} samples, but the run's results file says {evaluated:,} were evaluated: "
            f"the file is truncated or edited. Run {host} again, or pass --allow-partial to score the samples "
            "found (the outputs are then marked partial)"
        )
    return evaluated


def evaluated_without_samples(
    results: dict[str, Any],
    tasks: list[str],
    found: set[str],
    *,
    results_path: Path,
    expected: str,
    host: str,
    allow_partial: bool,
) -> dict[str, tuple[int, int]]:
    """The tasks among ``tasks`` that the run's results file says were evaluated (``n-samples``) but whose
    samples are not among ``found``: refused (``RecordError`` naming the file that should hold them,
    ``expected`` with ``{task}`` filled in), or, with ``allow_partial``, returned as task -> (0 found,
    evaluated) for the run to be marked partial. A part must never silently drop out of a run whose
    results say it was evaluated."""
    missing = {task: n for task in tasks if task not in found and (n := evaluated(results, task))}
    if missing and not allow_partial:
        task, n = next(iter(missing.items()))
        raise RecordError(
            f"{results_path} says {n:,} docs of {task} were evaluated, but their samples are not there "
            f"({expected.format(task=task)} is missing or holds no samples): pass the whole {host} output (run "
            "it with --log_samples, keep every samples file), or --allow-partial to score the tasks found (the "
            "outputs are then marked partial)"
        )
    return {task: (0, n) for task, n in missing.items()}


def model_name(results: dict[str, Any], separators: str = ",") -> str:
    """A readable model name from an lmms-eval or lm-eval results document: the ``pretrained=`` (or
    ``model=``, vLLM's) model argument, whether the host logged the arguments as an object or as a string
    (split at any of ``separators``: lm-eval's command line also takes them space-separated), else the
    model name or backend it recorded."""
    config = results.get("config", {})
    args = config.get("model_args") or ""
    if isinstance(args, dict):
        named = args.get("pretrained") or args.get("model")
        if named:
            return str(named)
    for part in re.split(f"[{re.escape(separators)}]", str(args)):
        for name in ("pretrained=", "model="):
            if part.startswith(name):
                return part.removeprefix(name)
    return str(results.get("model_name") or config.get("model") or "unknown-model")


def logged_response(sample: dict[str, Any], where: str) -> object:
    """The response in a sample lmms-eval or lm-eval logged (``filtered_resps``, else ``resps``), as
    logged: ``make_response`` checks and strips it."""
    value = sample.get("filtered_resps", sample.get("resps"))
    while isinstance(value, list) and value:  # [[text]] or [text] depending on the host and its version
        value = value[0]
    if value is None or value == []:  # not an empty answer (which is ""): no answer was logged at all
        raise RecordError(f"{where}: the sample holds no response (filtered_resps is {value!r})")
    return value
