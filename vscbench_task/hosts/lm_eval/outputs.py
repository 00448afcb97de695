"""Reading what ``lm_eval --log_samples --output_path DIR`` wrote, back into host-neutral responses.

lm-eval writes ``DIR/<model>/results_<date>.json`` and ``samples_<task>_<date>.jsonl`` per run. A run of
the image tasks and a run of ``vscbench_text_txt`` (lm-eval's multimodal backends take them separately)
usually share the model's folder: a folder's runs are read together, each task once, and the two text
tasks are merged into the text part (``vscbench_text``), so its figures cover all five variants.

From each sample only the item and the response are taken: the ``doc_key`` of the logged ``doc`` (the
request our dataset gave lm-eval; ``doc_id`` when it is missing) and ``filtered_resps``. As for lmms-eval
runs, a samples file shorter than its run says (or whose run does not say) is refused unless partial
runs are allowed; so are runs of different settings in one folder (another model, revision, chat
template or generation settings lands in the same folder name), samples files without their results
file, a text part missing one of its two tasks, and a task a results file says was evaluated whose
samples file is missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vscbench_task.dataset.items import TASK_OF_PART
from vscbench_task.hosts.lm_eval.task_table import LM_EVAL_TASKS, task_items
from vscbench_task.hosts.run import (
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

RESULTS_GLOB = "results_*.json"
# The results file's fields this reader takes: objects, and objects holding an object per task.
OBJECTS = ("n-samples", "config")
PER_TASK = ("n-samples",)
_SAMPLES = re.compile(r"samples_(?P<task>.+)_(?P<date>[^_]+)\.jsonl")


def _response(sample: dict[str, Any], task: str, where: str) -> Response:
    doc = sample.get("doc")
    key = doc.get("doc_key") if isinstance(doc, dict) else None
    if key is None:
        doc_id = sample.get("doc_id")
        chosen = task_items(task)
        if not isinstance(doc_id, int) or isinstance(doc_id, bool) or not 0 <= doc_id < len(chosen):
            raise RecordError(f"{where}: the sample has no doc with a doc_key and no valid doc_id ({doc_id!r})")
        key = chosen[doc_id].doc_key
    response = make_response(key, logged_response(sample, where), where=where)
    if not LM_EVAL_TASKS[task].holds_item(response.item):
        raise RecordError(f"{where}: {response.doc_key} is not an item of the lm-eval task {task}")
    return response


def load_samples(path: Path, task: str) -> list[Response]:
    """Every response of one ``samples_<task>_<date>.jsonl`` file, in file order."""
    found = []
    for where, sample in json_lines(path, "a samples file"):
        if not isinstance(sample, dict):
            raise RecordError(f"{where}: a logged sample is a JSON object, not a {type(sample).__name__}")
        found.append(_response(sample, task, where))
    return found


# What must agree between the runs read together as one model's run: the model and how it was asked.
_SAME_RUN = {
    "model": lambda r: r.get("config", {}).get("model"),
    "model_args": lambda r: r.get("config", {}).get("model_args"),
    "gen_kwargs": lambda r: r.get("config", {}).get("gen_kwargs"),
    "chat template": lambda r: r.get("chat_template_sha", r.get("chat_template")),
    "system instruction": lambda r: r.get("system_instruction_sha", r.get("system_instruction")),
}


def _check_same_model(runs: dict[Path, dict[str, Any]]) -> None:
    """Refuse runs that differ in what was evaluated or how (another model, revision, template, settings)."""
    first_path, first = next(iter(runs.items()))
    for path, results in runs.items():
        for what, read in _SAME_RUN.items():
            if read(results) != read(first):
                raise RunNotFound(
                    f"{first_path} and {path} are runs of different settings ({what}: {read(first)!r} vs "
                    f"{read(results)!r}), so they are not one model's run: write each to its own --output_path"
                )


def _date(path: Path) -> str | None:
    match = _SAMPLES.fullmatch(path.name)
    return match["date"] if match else None


def _task(path: Path) -> str | None:
    match = _SAMPLES.fullmatch(path.name)
    return match["task"] if match else None


def claims_file(path: Path) -> bool:
    """A results file, or a samples file, by lm-eval's names."""
    return path.match(RESULTS_GLOB) or (path.suffix == ".jsonl" and path.name.startswith("samples_"))


def claims_folder(folder: Path) -> bool:
    """A folder holding an lm-eval results file (anywhere below it)."""
    return any(folder.rglob(RESULTS_GLOB))


def _samples_file_run(path: Path, allow_partial: bool) -> tuple[str, Path]:
    """For one samples file: its task and its run's results file (which must exist unless ``allow_partial``)."""
    match = _SAMPLES.fullmatch(path.name)
    if match is None or match["task"] not in LM_EVAL_TASKS:
        raise RunNotFound(f"{path}: not the samples file of a VSCBench lm-eval task")
    results = path.with_name(f"results_{match['date']}.json")
    if not results.exists() and not allow_partial:
        raise RecordError(
            f"{results} is missing: without its run's results file the samples file cannot be checked for "
            "completeness. Pass the folder lm-eval wrote, or --allow-partial (the outputs are marked partial)"
        )
    return match["task"], results


def _one_models_results(path: Path) -> list[Path]:
    """The results files of one model's folder (``path`` a results file, or a folder holding one model's)."""
    results_files = [path] if path.suffix == ".json" else sorted(path.rglob(RESULTS_GLOB))
    folders = sorted({f.parent for f in results_files})
    if len(folders) > 1:
        listing = "\n".join(f"  {folder}" for folder in folders)
        raise RunNotFound(f"{path} holds lm-eval runs of {len(folders)} models:\n{listing}\npass each model's folder")
    if not folders:
        raise RunNotFound(f"no lm-eval results file ({RESULTS_GLOB}) under {path}")
    return results_files


def _refuse_orphans(folder: Path, dates: dict[str, Path]) -> None:
    """Refuse samples files of a VSCBench task whose run left no results file."""
    orphans = [f for f in sorted(folder.glob("samples_*.jsonl")) if _task(f) in LM_EVAL_TASKS and _date(f) not in dates]
    if orphans:
        listing = "\n".join(f"  {f}" for f in orphans)
        raise RecordError(
            f"{folder} holds samples files without their run's results file (an interrupted run?):\n{listing}\n"
            "run those tasks again, or move the files away"
        )


def _read_samples(
    run: Run, dates: dict[str, Path], documents: dict[Path, dict[str, Any]], only: str | None, allow_partial: bool
) -> dict[str, tuple[int, int]]:
    """Read every VSCBench task's samples of the runs in ``run.folder`` into ``run`` (each task once);
    returns lm-eval task -> (samples found, samples planned)."""
    counts: dict[str, tuple[int, int]] = {}
    seen: dict[str, Path] = {}
    for date, results_path in sorted(dates.items()):
        results = documents[results_path]
        if results:
            run.model = model_name(results, separators=", ")
        read = {_task(samples) for samples in run.folder.glob(f"samples_*_{date}.jsonl")}
        counts |= evaluated_without_samples(
            results,
            [task for task in results.get("n-samples", {}) if task in LM_EVAL_TASKS and only in (None, task)],
            {task for task in read if task is not None},
            results_path=results_path,
            expected=str(run.folder / f"samples_{{task}}_{date}.jsonl"),
            host="lm-eval",
            allow_partial=allow_partial,
        )
        for samples in sorted(run.folder.glob(f"samples_*_{date}.jsonl")):
            task = _task(samples)
            if task not in LM_EVAL_TASKS or (only and task != only):
                continue
            if task in seen:
                raise RunNotFound(
                    f"{task} was run twice ({seen[task]}, {samples}): keep one run of each task in the folder"
                )
            seen[task] = samples
            found = load_samples(samples, task)
            planned = planned_count(
                len(found),
                evaluated(results, task),
                samples=samples,
                host="lm-eval",
                full=len(task_items(task)),
                allow_partial=allow_partial,
            )
            counts[task] = (len(found), planned)
            run.responses.setdefault(task_of_part(task), []).extend(found)
            run.files.append(samples)
    return counts


def _complete_text_part(run: Run, counts: dict[str, tuple[int, int]], allow_partial: bool) -> None:
    """Refuse a text part with one of its two lm-eval tasks missing, unless ``allow_partial`` (then the
    missing task counts as planned and not found)."""
    variants = {(LM_EVAL_TASKS[task].split, LM_EVAL_TASKS[task].method) for task in counts}
    text_tasks = [
        task for task, spec in LM_EVAL_TASKS.items() if spec.part == "text" and (spec.split, spec.method) in variants
    ]
    present = [task for task in text_tasks if task in counts]
    if not present or len(present) == len(text_tasks):
        return
    missing = next(task for task in text_tasks if task not in counts)
    if not allow_partial:
        raise RecordError(
            f"{run.folder} holds the text part's {present[0]} but not {missing}: the text part's figures need "
            f"both. Run lm-eval on {missing} with the same model and --output_path, or pass --allow-partial to "
            "score the variants found (the outputs are then marked partial)"
        )
    counts[missing] = (0, len(task_items(missing)))


def load_run(path: str | Path, *, allow_partial: bool = False) -> Run:
    """One model's lm-eval runs: a model folder (every run in it), one ``results_*.json``, or one samples
    file (read with its run's results file)."""
    path = Path(path)
    only = None
    if path.is_file() and path.suffix == ".jsonl":
        only, path = _samples_file_run(path, allow_partial)
    results_files = _one_models_results(path)
    folder = results_files[0].parent
    documents = {f: results_document(f, "lm-eval", OBJECTS, PER_TASK) if f.exists() else {} for f in results_files}
    _check_same_model({f: d for f, d in documents.items() if d})
    dates = {f.stem.removeprefix("results_"): f for f in results_files}
    stamp = f"lm-eval_{max(dates)}" + (f"_{only}" if only else "")
    run = Run("lm-eval", "unknown-model", stamp, folder, results_files[0] if len(results_files) == 1 else None)
    run.files = [f for f in results_files if f.exists()]
    if only is None:
        _refuse_orphans(folder, dates)
    counts = _read_samples(run, dates, documents, only, allow_partial)
    if not run.responses:
        raise RunNotFound(f"{path} holds no samples of a VSCBench lm-eval task: run lm-eval with --log_samples")
    check_one_split(
        run,
        {task: LM_EVAL_TASKS[task].split for task in counts},
        {task: LM_EVAL_TASKS[task].method for task in counts},
        how="write each split's and method's run to its own --output_path",
    )
    if counts:
        run.method = _method(documents, next(iter(sorted(counts))))
    _complete_text_part(run, counts, allow_partial)
    for part_task in TASK_OF_PART.values():
        mine = [found_planned for task, found_planned in counts.items() if task_of_part(task) == part_task]
        found, planned = sum(f for f, _ in mine), sum(p for _, p in mine)
        if mine and found != planned:
            run.partial[part_task] = (found, planned)
    # Every file of the runs, read or not, so no output overwrites one (a lone samples file's siblings included).
    run.files = sorted({*run.files, *(f for date in dates for f in folder.glob(f"samples_*_{date}.jsonl"))})
    return run


def _method(documents: dict[Path, dict[str, Any]], task: str) -> dict[str, Any]:
    """The run's calibration method (the task table's) and its recorded parameters (the reminder's version,
    the user's ``--system_instruction``)."""
    record: dict[str, Any] = {"name": LM_EVAL_TASKS[task].method}
    for results in documents.values():
        configs = results.get("configs")
        entry = configs.get(task) if isinstance(configs, dict) else None
        metadata = entry.get("metadata") if isinstance(entry, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("reminder_version"), str):
            record["reminder_version"] = metadata["reminder_version"]
        instruction = results.get("system_instruction")
        if isinstance(instruction, str) and instruction:
            record["system_instruction"] = instruction
    return record


def task_of_part(task: str) -> str:
    """The task an lm-eval task's responses are filed under (its part's)."""
    return TASK_OF_PART[LM_EVAL_TASKS[task].part]
