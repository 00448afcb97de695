"""Reading inspect_ai eval logs of the VSCBench tasks back into host-neutral responses.

``inspect eval`` writes one log per task (``.eval`` by default, or ``.json``); a run of both parts is
two logs, usually in one log folder. From each sample only its id (the ``doc_key``) and the model's
completion are taken; the scores and metadata a log holds are ignored (labels come from the packaged
metadata). A log whose eval did not finish (``status`` other than ``success``) or with samples that
errored (no response: scoring them would count an empty answer) is refused unless partial runs are
allowed, and then flagged with how many of the planned samples were found. With ``--no-fail-on-error``
inspect finishes an eval whose samples failed (a judge that stopped working, say) with status
``success`` and metrics over the samples that did not: such a log is partial here too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vscbench_task.dataset.items import PART_OF_TASK, item_index
from vscbench_task.hosts.run import Run, RunNotFound
from vscbench_task.scoring.records import RecordError, Response, make_response

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

_SKIPPED = {"messages", "events", "store", "attachments"}  # large, and never read


def _inspect():
    try:
        from inspect_ai import log
    except ImportError:
        raise RunNotFound("reading inspect_ai logs needs inspect_ai: pip install 'vscbench-task[inspect]'") from None
    return log


def _task(name: str) -> str | None:
    """The VSCBench task of an inspect task name: ``vscbench_task/vscbench_image`` as registered, or the
    bare name inspect gives a task loaded from its file (another package's ``x/vscbench_image`` is not)."""
    short = name.removeprefix("vscbench_task/")
    return short if short in PART_OF_TASK else None


def _responses(path: Path, task: str) -> tuple[list[Response], int]:
    """The log's responses and how many samples errored (have none). inspect's reader yields only the
    samples the log's header lists, so a sample edited to another id is missing, and counted so."""
    log = _inspect()
    found, errored = [], 0
    try:
        samples = list(log.read_eval_log_samples(path, all_samples_required=False, exclude_fields=_SKIPPED))
    except Exception as err:  # inspect raises many kinds for a damaged file
        raise RecordError(f"{path}: not a readable inspect_ai log ({type(err).__name__}: {err})") from None
    for sample in samples:
        where = f"{path} (sample {sample.id!r}, epoch {sample.epoch})"
        if sample.epoch != 1:
            raise RecordError(f"{where}: VSCBench runs one epoch; this log has several")
        if sample.error is not None:
            errored += 1
            continue
        response = make_response(sample.id, sample.output.completion if sample.output else None, where=where)
        if item_index()[response.doc_key].part != PART_OF_TASK[task]:
            raise RecordError(f"{where}: {response.doc_key} is not an item of {task}")
        found.append(response)
    return found, errored


def _headers(paths: Sequence[Path]) -> dict[str, tuple[Path, EvalLog]]:
    """VSCBench task -> (log, its header), for the logs of VSCBench tasks among ``paths``. A task logged
    twice is refused, except a run that ``inspect eval-retry`` finished: the one log that succeeded is
    taken (the retry holds every sample of the failed one)."""
    log = _inspect()
    logged: dict[str, list[tuple[Path, EvalLog]]] = {}
    for path in paths:
        try:
            header = log.read_eval_log(path, header_only=True)
        except Exception as err:  # inspect raises many kinds for a damaged file
            raise RecordError(f"{path}: not a readable inspect_ai log ({type(err).__name__}: {err})") from None
        task = _task(header.eval.task)
        if task is not None:
            logged.setdefault(task, []).append((path, header))
    chosen: dict[str, tuple[Path, EvalLog]] = {}
    for task, found in logged.items():
        done = [(path, header) for path, header in found if header.status == "success"]
        if len(found) > 1 and len(done) != 1:
            listing = ", ".join(str(path) for path, _ in found)
            raise RunNotFound(f"{task} was run {len(found)} times ({listing}): pass each run's log itself")
        chosen[task] = done[0] if len(found) > 1 else found[0]
    return chosen


def looks_like_json_log(path: Path) -> bool:
    """An inspect_ai log in JSON: an object with ``eval`` (an object) and ``status``. Its head is looked
    at first, so a folder's other JSON files (a host's results, rescore outputs) are not parsed whole."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
        if '"status"' not in head or '"eval"' not in head:
            return False
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("eval"), dict) and "status" in document


def claims_file(path: Path) -> bool:
    """An ``.eval`` log, or a JSON log."""
    return path.suffix == ".eval" or (path.suffix == ".json" and looks_like_json_log(path))


def logs_in(folder: Path) -> list[Path]:
    """The inspect_ai logs under ``folder``: ``.eval`` files and JSON logs."""
    return sorted([*folder.rglob("*.eval"), *(p for p in folder.rglob("*.json") if looks_like_json_log(p))])


def claims_folder(folder: Path) -> bool:
    """A folder holding inspect_ai logs."""
    return bool(logs_in(folder))


def load_run(path: Path, *, allow_partial: bool = False) -> Run:
    """One model's run from a log file, or from every log in a folder."""
    return load_logs(logs_in(path) if path.is_dir() else [path], allow_partial=allow_partial)


def load_logs(paths: Sequence[Path], *, allow_partial: bool = False) -> Run:
    """One model's run from its logs, one per VSCBench task (a log of another task is skipped)."""
    headers = _headers(paths)
    if not headers:
        raise RunNotFound(f"no log of a VSCBench task among {', '.join(map(str, paths))}")
    models = {header.eval.model: path for path, header in headers.values()}
    if len(models) > 1:
        listing = "\n".join(f"  {model}: {path}" for model, path in models.items())
        raise RunNotFound(f"the logs are runs of {len(models)} models:\n{listing}\npass each model's logs separately")
    run = Run("inspect_ai", next(iter(models)), paths[0].stem, paths[0].parent, paths[0] if len(paths) == 1 else None)
    for task, (path, header) in sorted(headers.items()):
        run.files.append(path)
        found, errored = _responses(path, task)
        planned = header.results.total_samples if header.results else len(found) + errored
        if header.status != "success" or errored or len(found) != planned:
            if not allow_partial:
                raise RecordError(
                    f"{path}: the eval ended {header.status} with {len(found):,} of {planned:,} samples answered "
                    f"({errored:,} errored): run it again (inspect eval-retry), or pass --allow-partial to score "
                    "the answered ones (the outputs are then marked partial)"
                )
            run.partial[task] = (len(found), planned)
        run.responses[task] = found
    return run
