"""Reading what ``lm_eval --log_samples --output_path DIR`` wrote, back into host-neutral responses.

lm-eval writes ``DIR/<model>/results_<date>.json`` and ``samples_<task>_<date>.jsonl`` per run. A run of
the image tasks and a run of ``vscbench_text_txt`` (lm-eval's multimodal backends take them separately)
usually share the model's folder: a folder's runs are read together, each task once, and the two text
tasks are merged into the text part (``vscbench_text``), so its figures cover all five variants.

From each sample only the item and the response are taken: the ``doc_key`` of the logged ``doc`` (the
request our dataset gave lm-eval; ``doc_id`` when it is missing) and ``filtered_resps``. As for lmms-eval
runs, a samples file shorter than its run says is refused unless partial runs are allowed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from vscbench_task.lm_harness.task_items import PART_TASK, TASK_ITEMS, task_items
from vscbench_task.runs import Run, RunNotFound, logged_response
from vscbench_task.scoring.records import RecordError, Response, make_response

RESULTS_GLOB = "results_*.json"
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
    if not TASK_ITEMS[task](response.item):
        raise RecordError(f"{where}: {response.doc_key} is not an item of the lm-eval task {task}")
    return response


def load_samples(path: Path, task: str) -> list[Response]:
    found = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    sample = json.loads(line)
                except json.JSONDecodeError as err:
                    raise RecordError(f"{where}: not a JSON line ({err})") from None
                if not isinstance(sample, dict):
                    raise RecordError(f"{where}: a logged sample is a JSON object, not a {type(sample).__name__}")
                found.append(_response(sample, task, where))
    except (OSError, UnicodeDecodeError) as err:
        raise RecordError(f"{path}: cannot be read as a samples file ({err})") from None
    return found


def _results(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise RecordError(f"{path}: not a readable lm-eval results file ({err})") from None
    if not isinstance(document, dict):
        raise RecordError(f"{path}: an lm-eval results file holds a JSON object, not a {type(document).__name__}")
    for name in ("n-samples", "config"):
        if name in document and not isinstance(document[name], dict):
            raise RecordError(f"{path}: field {name!r} is a {type(document[name]).__name__}, not an object")
    return document


def _model(results: dict[str, Any]) -> str:
    """A readable model name: the ``pretrained`` (or ``model``) argument, else what lm-eval recorded."""
    config = results.get("config", {})
    args = config.get("model_args") or ""
    if isinstance(args, dict):
        named = args.get("pretrained") or args.get("model")
        if named:
            return str(named)
    for part in re.split(r"[, ]", str(args)):
        for name in ("pretrained=", "model="):
            if part.startswith(name):
                return part.removeprefix(name)
    return str(results.get("model_name") or config.get("model") or "unknown-model")


def load_run(path: str | Path, *, allow_partial: bool = False) -> Run:
    """One model's lm-eval runs: a model folder (every run in it) or one ``results_*.json``."""
    path = Path(path)
    if path.is_file() and path.suffix == ".jsonl":
        match = _SAMPLES.fullmatch(path.name)
        if match is None or match["task"] not in TASK_ITEMS:
            raise RunNotFound(f"{path}: not the samples file of a VSCBench lm-eval task")
        task, stamp = match["task"], f"lm-eval_{match['date']}"
        return Run(
            "lm-eval", "unknown-model", stamp, path.parent, responses={PART_TASK[task]: load_samples(path, task)}
        )
    results_files = [path] if path.is_file() else sorted(path.rglob(RESULTS_GLOB))
    folders = sorted({f.parent for f in results_files})
    if len(folders) > 1:
        listing = "\n".join(f"  {folder}" for folder in folders)
        raise RunNotFound(f"{path} holds lm-eval runs of {len(folders)} models:\n{listing}\npass each model's folder")
    if not folders:
        raise RunNotFound(f"no lm-eval results file ({RESULTS_GLOB}) under {path}")
    latest = max(f.stem.removeprefix("results_") for f in results_files)
    run = Run(
        "lm-eval",
        "unknown-model",
        f"lm-eval_{latest}",
        folders[0],
        results_files[0] if len(results_files) == 1 else None,
    )
    seen: dict[str, Path] = {}
    for results_path in results_files:
        date = results_path.stem.removeprefix("results_")
        results = _results(results_path)
        run.model = _model(results)
        for samples in sorted(results_path.parent.glob(f"samples_*_{date}.jsonl")):
            match = _SAMPLES.fullmatch(samples.name)
            if match is None or match["task"] not in TASK_ITEMS:
                continue
            task = match["task"]
            if task in seen:
                raise RunNotFound(
                    f"{task} was run twice ({seen[task]}, {samples}): keep one run of each task in the folder"
                )
            seen[task] = samples
            found = load_samples(samples, task)
            evaluated = results.get("n-samples", {}).get(task, {}).get("effective")
            if isinstance(evaluated, int) and len(found) != evaluated:
                if not allow_partial or len(found) > evaluated:
                    raise RecordError(
                        f"{samples} holds {len(found):,} samples, but the run's results file says {evaluated:,} "
                        "were evaluated: the file is truncated or edited. Run lm-eval again, or pass --allow-partial"
                    )
                before = run.partial.get(PART_TASK[task], (0, 0))
                run.partial[PART_TASK[task]] = (before[0] + len(found), before[1] + evaluated)
            run.responses.setdefault(PART_TASK[task], []).extend(found)
    if not run.responses:
        raise RunNotFound(f"{path} holds no samples of a VSCBench lm-eval task: run lm-eval with --log_samples")
    text_tasks = [task for task, part in PART_TASK.items() if part == "vscbench_text"]
    if "vscbench_text" in run.responses and not all(task in seen for task in text_tasks):
        missing = next(task for task in text_tasks if task not in seen)
        if not allow_partial:
            raise RecordError(
                f"{path} holds the text part's {next(t for t in text_tasks if t in seen)} but not {missing}: the "
                f"text part's figures need both. Run lm-eval on {missing} with the same model and --output_path, "
                "or pass --allow-partial to score the variants found (the outputs are then marked partial)"
            )
        found = len(run.responses["vscbench_text"])
        planned = run.partial.get("vscbench_text", (found, found))[1]
        run.partial["vscbench_text"] = (found, planned + len(task_items(missing)))
    return run
