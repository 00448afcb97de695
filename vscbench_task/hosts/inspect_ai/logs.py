"""Reading inspect_ai eval logs of the VSCBench tasks back into host-neutral responses.

``inspect eval`` writes one log per task (``.eval`` by default, or ``.json``); a run of both parts is
two logs, usually in one log folder. From each sample only its id (the ``doc_key``) and the model's
completion are taken; the scores and metadata a log holds are ignored (labels come from the packaged
metadata). A log whose eval did not finish (``status`` other than ``success``) or with samples that
errored (no response: scoring them would count an empty answer) is refused unless partial runs are
allowed, and then flagged with how many of the planned samples were found. With ``--no-fail-on-error``
inspect finishes an eval whose samples failed (a judge that stopped working, say) with status
``success`` and metrics over the samples that did not: such a log is partial here too.

A folder can hold several logs of one task (a ``--limit 10`` smoke test, a full run that crashed, the
log ``inspect eval-retry`` finished). Logs are chosen by what they cover (the samples their eval
planned), never by status alone: the log covering the most samples is the run, and among logs covering as
many, the one that succeeded (the retry). A smaller success is never taken for a larger failed run: the
larger one is read (partial, or refused without ``--allow-partial``) and the message names the smaller
logs left aside.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vscbench_task.calibration.prompting import DEFAULT_SHOTS
from vscbench_task.calibration.split import EVALUATION, FULL, SPLITS
from vscbench_task.dataset.items import PART_OF_TASK, item_index
from vscbench_task.hosts.run import BASELINE, Run, RunNotFound, check_one_split
from vscbench_task.scoring.records import RecordError, Response, make_response

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

_SKIPPED = {"messages", "events", "store", "attachments"}  # large, and never read
METHODS = ("baseline", "reminder", "fewshot")  # the tasks' ``-T method`` (``tasks.METHODS``, which loads inspect_ai)


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


def planned(header: EvalLog) -> int:
    """How many samples a log's eval set out to run: its sample ids (``--limit`` and ``--sample-id``
    applied), else the total it reports, else the dataset's size."""
    ids = header.eval.dataset.sample_ids
    if ids:
        return len(ids)
    if header.results is not None:
        return header.results.total_samples
    return header.eval.dataset.samples or 0


@dataclass(frozen=True)
class Chosen:
    """The log taken for a task, its header, and the smaller logs of the same task left aside."""

    path: Path
    header: EvalLog
    smaller: tuple[Path, ...] = ()


def _choose(task: str, found: list[tuple[Path, EvalLog]]) -> Chosen:
    """The log of ``task`` that is the run (see the module); ``RunNotFound`` when that is ambiguous."""
    widest = max(planned(header) for _, header in found)
    covering = [(path, header) for path, header in found if planned(header) == widest]
    smaller = tuple(path for path, header in found if planned(header) < widest)
    done = [(path, header) for path, header in covering if header.status == "success"]
    if len(covering) == 1:
        return Chosen(*covering[0], smaller)
    if len(done) == 1:
        return Chosen(*done[0], smaller)
    listing = ", ".join(str(path) for path, _ in covering)
    raise RunNotFound(
        f"{task} was run {len(covering)} times over the same {widest:,} samples ({listing}): pass each run's log itself"
    )


def _headers(paths: Sequence[Path]) -> dict[str, Chosen]:
    """VSCBench task -> the log chosen for it (``_choose``), among the logs of VSCBench tasks in ``paths``."""
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
    for task, found in logged.items():
        ran = {json.dumps(_arguments(header), sort_keys=True): path for path, header in found}
        if len(ran) > 1:  # another method or split is another experiment, never "a smaller run" of this one
            listing = ", ".join(str(path) for path in ran.values())
            raise RunNotFound(f"{task} was run with different methods or splits ({listing}): pass each run's logs")
    return {task: _choose(task, found) for task, found in logged.items()}


def _arguments(header: EvalLog) -> dict[str, Any]:
    """The split and method a log's task ran with (``-T split=... method=... shots=...``), as its header
    records the task arguments; a log of the tasks before they had any is the whole benchmark's baseline."""
    given = header.eval.task_args if isinstance(header.eval.task_args, dict) else {}
    method = given.get("method") if given.get("method") in METHODS else BASELINE
    split = given.get("split") or (FULL if method == BASELINE else EVALUATION)
    if split not in SPLITS:
        raise RecordError(f"the log of {header.eval.task} names no split this package knows ({split!r})")
    record: dict[str, Any] = {"name": method}
    if method == "fewshot":
        record["shots"] = given.get("shots", DEFAULT_SHOTS)
    return {"split": split, "method": record}


def looks_like_json_log(path: Path) -> bool:
    """An inspect_ai log in JSON: an object with ``eval`` (an object) and ``status``. Its head is looked
    at first, so a folder's other JSON files (a host's results, rescore outputs) are not parsed whole."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
        if '"status"' not in head or '"eval"' not in head:
            return False
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
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
    models = {chosen.header.eval.model: chosen.path for chosen in headers.values()}
    if len(models) > 1:
        listing = "\n".join(f"  {model}: {path}" for model, path in models.items())
        raise RunNotFound(f"the logs are runs of {len(models)} models:\n{listing}\npass each model's logs separately")
    run = Run("inspect_ai", next(iter(models)), paths[0].stem, paths[0].parent, paths[0] if len(paths) == 1 else None)
    run.files = list(paths)
    arguments = {task: _arguments(chosen.header) for task, chosen in headers.items()}
    check_one_split(
        run,
        {task: args["split"] for task, args in arguments.items()},
        {task: args["method"]["name"] for task, args in arguments.items()},
        how="pass each split's and method's logs separately",
    )
    run.method = next(iter(arguments.values()))["method"]
    for task, chosen in sorted(headers.items()):
        path, header = chosen.path, chosen.header
        found, errored = _responses(path, task)
        wanted = max(planned(header), len(found) + errored)
        if header.status != "success" or errored or len(found) != wanted:
            aside = (
                f"; {', '.join(map(str, chosen.smaller))} (a smaller run of {task}) was left aside: a smaller run "
                "is not the whole run"
                if chosen.smaller
                else ""
            )
            if not allow_partial:
                raise RecordError(
                    f"{path}: the eval ended {header.status} with {len(found):,} of {wanted:,} samples answered "
                    f"({errored:,} errored){aside}. Run it again (inspect eval-retry), or pass --allow-partial to "
                    "score the answered ones (the outputs are then marked partial)"
                )
            run.partial[task] = (len(found), wanted)
        run.responses[task] = found
    return run
