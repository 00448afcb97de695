"""Reading what ``lmms-eval --log_samples --output_path DIR`` wrote, back into host-neutral responses.

lmms-eval writes ``<stamp>_results.json`` and one ``<stamp>_samples_<task>.jsonl`` per task, in DIR or
a model sub-folder of it. From each logged sample only two things are taken: which item it answers and
the model's response (``filtered_resps``). Everything else a sample holds (labels, verdicts,
categories) is ignored: scoring looks it up in the packaged metadata, so an edited or foreign file
cannot change what an item is.

Which item: a sample's ``doc_id`` is its index in the task's items (the order ``process_docs`` gave
lmms-eval), and a task's sample also carries the ``doc_key`` our ``process_results`` logged. Both are
checked against each other; a run made with ``--predict_only`` (no ``process_results``) has only the
``doc_id``, which is enough. A samples file whose count differs from the number the run's results file
says were evaluated is refused (a truncated or edited file would otherwise be scored as if complete),
unless the caller allows partial runs, which are then flagged; so is a samples file without its run's
results file, which alone cannot be checked, and so is a VSCBench task the results file says was
evaluated whose samples file is missing (the run would lose a part without a word).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from vscbench_task.hosts.lmms_eval import steer_args
from vscbench_task.hosts.lmms_eval.task_table import LMMS_TASKS, SHOTS_KEY, task_items, task_metrics
from vscbench_task.hosts.run import (
    BASELINE,
    Run,
    RunNotFound,
    check_one_split,
    evaluated,
    evaluated_without_samples,
    json_lines,
    logged_response,
    model_name,
    planned_count,
    results_document,
)
from vscbench_task.scoring.records import RecordError, Response, make_response

RESULTS_SUFFIX = "_results.json"
# The results file's fields this reader takes: objects, and objects holding an object per task.
OBJECTS = ("results", "configs", "versions", "higher_is_better", "n-samples", "config")
PER_TASK = ("results", "higher_is_better", "n-samples")


@cache
def _metric_names() -> frozenset[str]:
    return frozenset(spec.name for task in LMMS_TASKS for spec in task_metrics(task))


def _logged_key(sample: dict[str, Any], where: str) -> str | None:
    keys = {
        value.get("doc_key")
        for name, value in sample.items()
        if name in _metric_names() and isinstance(value, dict) and "doc_key" in value
    }
    if len(keys) > 1:
        raise RecordError(f"{where}: the sample's metric records name different items ({sorted(map(str, keys))})")
    return keys.pop() if keys else None


def sample_response(sample: object, task: str, *, where: str) -> Response | None:
    """The VSCBench response in one logged sample of ``task`` (a task this package does not define
    needs our records); None for another task's sample."""
    if not isinstance(sample, dict):
        raise RecordError(f"{where}: a logged sample is a JSON object, not a {type(sample).__name__}")
    logged = _logged_key(sample, where)
    if task not in LMMS_TASKS:
        return None if logged is None else make_response(logged, logged_response(sample, where), where=where)
    chosen = task_items(task)
    doc_id = sample.get("doc_id")
    if not isinstance(doc_id, int) or isinstance(doc_id, bool) or not 0 <= doc_id < len(chosen):
        raise RecordError(f"{where}: doc_id {doc_id!r} is not an index of the {len(chosen):,} items of {task}")
    key = chosen[doc_id].doc_key
    if logged is not None and logged != key:
        raise RecordError(
            f"{where}: doc_id {doc_id} is {key} in the benchmark's order, but the sample's records name {logged!r}: "
            "the file was edited or written by another version of the tasks"
        )
    return make_response(key, logged_response(sample, where), where=where)


def load_samples(path: str | Path, task: str) -> list[Response]:
    """All VSCBench responses of one ``*_samples_<task>.jsonl`` file, in file order."""
    found = (sample_response(sample, task, where=where) for where, sample in json_lines(Path(path), "a samples file"))
    return [response for response in found if response is not None]


def claims_file(path: Path) -> bool:
    """A results file, or a samples file, by lmms-eval's names."""
    return path.name.endswith(RESULTS_SUFFIX) or (path.suffix == ".jsonl" and "_samples_" in path.name)


def claims_folder(folder: Path) -> bool:
    """A folder holding an lmms-eval results file (anywhere below it)."""
    return any(folder.rglob(f"*{RESULTS_SUFFIX}"))


def _task_of(samples: Path, stamp: str) -> str:
    return samples.name.removeprefix(f"{stamp}_samples_").removesuffix(".jsonl")


def load_run(path: str | Path, *, allow_partial: bool = False) -> Run:
    """Load a run from a results file, a samples file, or a folder holding exactly one results file.

    A folder with several results files is refused rather than read by picking one: lmms-eval writes
    ``DIR/<model>/<stamp>_results.json``, so a shared ``--output_path`` (or a repeated run) holds many
    models or runs, and which one was meant is the user's call. A samples file is read with its run's
    results file (same stamp, same folder), which says how many docs were evaluated. Raises
    ``RunNotFound`` saying what was looked for when there is nothing VSCBench in it, or listing the
    candidates when there are several, and ``RecordError`` for a samples file shorter than its run or
    without a results file to check it against (unless ``allow_partial``).
    """
    results_path, only = _results_file(Path(path))
    stamp = results_path.name.removesuffix(RESULTS_SUFFIX)
    results = results_document(results_path, "lmms-eval", OBJECTS, PER_TASK) if results_path.exists() else {}
    run = Run("lmms-eval", model_name(results), stamp if only is None else f"{stamp}_{only}", results_path.parent)
    if results:
        run.results_path, run.results = results_path, results
    _read_samples(run, results, stamp, only, allow_partial)
    if not run.responses:
        raise RunNotFound(
            f"{results_path} has no VSCBench samples next to it: run lmms-eval with --log_samples on a vscbench task"
        )
    tasks = [task for task in results.get("n-samples", {}) if task in LMMS_TASKS and only in (None, task)]
    run.partial |= evaluated_without_samples(
        results,
        tasks,
        set(run.responses),
        results_path=results_path,
        expected=str(run.folder / f"{stamp}_samples_{{task}}.jsonl"),
        host="lmms-eval",
        allow_partial=allow_partial,
    )
    # Every file of the run, read or not, so no output overwrites one (a lone samples file's sibling included).
    run.files = sorted(
        {*run.files, *(p for p in [results_path] if p.exists()), *run.folder.glob(f"{stamp}_samples_*.jsonl")}
    )
    ours = sorted(task for task in run.responses if task in LMMS_TASKS)
    check_one_split(
        run,
        {task: LMMS_TASKS[task].split for task in ours},
        {task: LMMS_TASKS[task].method for task in ours},
        how="pass each task's samples file (<stamp>_samples_<task>.jsonl) as a run of its own",
    )
    if ours:
        run.method = method_record(results, ours[0])
    return run


# What a method task's metadata records about the method (the task files write them).
_METHOD_KEYS = ("reminder_version", "reminder", "demonstrations_version", "demonstration_pairs", "split_version")


def _plain(value: object) -> bool:
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) or (isinstance(value, list) and all(isinstance(v, scalar) for v in value))


def method_record(results: dict[str, Any], task: str) -> dict[str, Any]:
    """The calibration method of a run of ``task`` and its parameters: the method the task table names,
    the parameters its results file recorded (the task's metadata, the number of demonstrations lmms-eval
    resolved, the user's ``--system_instruction``) and, for a ``vscbench_steer`` run, how it was steered
    (``steer_args.method_record``). Labels only: nothing here changes how a response is scored."""
    name = LMMS_TASKS[task].method
    found = results.get("configs", {}).get(task)
    config: dict[str, Any] = found if isinstance(found, dict) else {}
    raw = config.get("metadata")
    metadata: dict[str, Any] = raw if isinstance(raw, dict) else {}
    record: dict[str, Any] = {"name": name}
    record |= {key: metadata[key] for key in _METHOD_KEYS if key in metadata and _plain(metadata[key])}
    kwargs = config.get("lmms_eval_specific_kwargs")
    if name == "fewshot" and isinstance(kwargs, dict) and _plain(kwargs.get(SHOTS_KEY)):
        record["shots"] = kwargs[SHOTS_KEY]
    if isinstance(results.get("system_instruction"), str) and results["system_instruction"]:
        record["system_instruction"] = results["system_instruction"]
    steering = steer_args.method_record(results.get("config"))
    if steering is not None:
        record = {**record, "name": steering["name"] if name == BASELINE else f"{name}+{steering['name']}"}
        record["steering"] = steering
    return record


def _results_file(path: Path) -> tuple[Path, str | None]:
    """The results file of the run at ``path`` (a results file, a samples file, or a folder holding one
    results file), and the one task to read when ``path`` is a samples file."""
    if not path.exists():
        raise RunNotFound(
            f"no such run: {path} (pass what lmms-eval --log_samples --output_path wrote: its folder, a "
            "*_results.json or a *_samples_<task>.jsonl file)"
        )
    if path.is_file() and path.suffix == ".jsonl":
        stamp = path.name.split("_samples_")[0]
        return path.with_name(f"{stamp}{RESULTS_SUFFIX}"), _task_of(path, stamp)
    if not path.is_dir():
        return path, None
    candidates = sorted(path.rglob(f"*{RESULTS_SUFFIX}"))
    if not candidates:
        raise RunNotFound(f"no lmms-eval results file (*{RESULTS_SUFFIX}) under {path}")
    if len(candidates) > 1:
        listing = "\n".join(f"  {candidate}" for candidate in candidates)
        raise RunNotFound(
            f"{path} holds {len(candidates)} lmms-eval results files, one per model or run:\n{listing}\n"
            "pass each model's folder or results file as its own run"
        )
    return candidates[0], None


def _read_samples(run: Run, results: dict[str, Any], stamp: str, only: str | None, allow_partial: bool) -> None:
    """Read the run's samples files (``only``: that task's) into ``run``, each checked against the count
    the results file gives (``planned_count``)."""
    for samples_file in sorted(run.folder.glob(f"{stamp}_samples_*.jsonl")):
        task = _task_of(samples_file, stamp)
        if only is not None and task != only:
            continue
        found = load_samples(samples_file, task)
        if not found:
            continue
        planned = planned_count(
            len(found),
            evaluated(results, task),
            samples=samples_file,
            host="lmms-eval",
            full=len(task_items(task)) if task in LMMS_TASKS else len(found),
            allow_partial=allow_partial,
        )
        if planned != len(found):
            run.partial[task] = (len(found), planned)
        run.responses[task] = found
        run.files.append(samples_file)
