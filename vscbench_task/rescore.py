"""``vscbench rescore``: recompute every metric of a logged lmms-eval run with a chosen judge, no model.

Input: what ``lmms-eval --log_samples`` wrote (a folder, a results file or one samples file), read
with ``vscbench_task.lmms_outputs.load_run``. Output, next to the input unless ``--output`` says
otherwise (names that ``load_run`` will not mistake for lmms-eval's own files):

* ``<stamp>_rescore_<judge>.json`` — the run's own lmms-eval results document (``config``,
  ``model_name``, ``versions``, ``configs``, ...; without ``samples``) with, for each rescored task,
  ``results[task]`` replaced by the rescored metrics (``{"alias": ..., "<metric>,none": value}``),
  ``higher_is_better[task]`` and ``n-samples[task]`` set to match, so tools that read lmms-eval results
  read it too; plus a ``vscbench`` block: the judge, its settings (never the key), per-task counts (docs,
  empty responses, judge calls made, items answered from the cache, failed calls), keyword-vs-LLM
  agreement, and the path of the per-item file;
* ``<stamp>_rescore_llm_judgements.jsonl`` (LLM judge only) — one line per doc: its id and group
  fields, the keyword verdict, and the judge's raw reply, official class, strict class, both
  verdicts, and whether the call failed or came from the cache.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from pathlib import Path
from typing import Any

from vscbench_task import agreement, metrics
from vscbench_task.docs import docs_for
from vscbench_task.llm_judge.judge import judge_records
from vscbench_task.llm_judge.prompt import PROMPT_VERSION
from vscbench_task.llm_judge.settings import JudgeNotConfigured, from_env
from vscbench_task.lmms_outputs import RESULTS_SUFFIX, Run, load_run
from vscbench_task.records import RECORD_FIELDS, Record
from vscbench_task.task_hooks import unique_records

JUDGE_CHOICES = ("keyword", "llm")


def _part(task: str, records: list[Record]) -> str:
    parts = {r["part"] for r in records}
    if len(parts) != 1:
        raise ValueError(f"task {task} mixes VSCBench parts {sorted(parts)}; rescore one task per part")
    return parts.pop()


def _stamp(source: Path, run: Run) -> str:
    if run.results_path is not None:
        return run.results_path.name.removesuffix(RESULTS_SUFFIX)
    return source.name.split("_samples_")[0]


def output_paths(source: Path, run: Run, judge: str, output: Path | None) -> tuple[Path, Path]:
    """(results file, per-item judgements file) for a rescore of ``source``."""
    if output is None:
        folder = run.results_path.parent if run.results_path is not None else source.parent
        output = folder / f"{_stamp(source, run)}_rescore_{judge}.json"
    return output, output.with_name(f"{output.stem}_judgements.jsonl")


def _lmms_document(run: Run, values: dict[str, dict[str, float]], docs: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """The run's results document with each rescored task's entries replaced: ``values`` maps a task to
    its metrics, ``docs`` to its (part, docs scored). Entries of other tasks stay as the run wrote them."""
    document = copy.deepcopy({k: v for k, v in run.results.items() if k != "samples"})
    for task, task_values in values.items():
        part, scored = docs[task]
        alias = document.get("results", {}).get(task, {}).get("alias", task)
        document.setdefault("results", {})[task] = {"alias": alias} | {f"{m},none": v for m, v in task_values.items()}
        document.setdefault("higher_is_better", {})[task] = {m: m.startswith("sra_") for m in task_values}
        original = document.get("n-samples", {}).get(task, {}).get("original", len(docs_for(part)))
        document.setdefault("n-samples", {})[task] = {"original": original, "effective": scored}
    return document


def rescore(source: str | Path, judge: str, output: Path | None = None, *, progress: bool = True) -> dict[str, Any]:
    """Rescore a logged run; writes the results (and, for the LLM judge, the judgements) and returns them."""
    if judge not in JUDGE_CHOICES:
        raise ValueError(f"unknown judge {judge!r}: expected one of {', '.join(JUDGE_CHOICES)}")
    source = Path(source)
    run = load_run(source)
    results_path, judgements_path = output_paths(source, run, judge, output)
    settings = from_env() if judge == "llm" else None
    block: dict[str, Any] = {"judge": judge, "source": str(run.results_path or source), "counts": {}}
    values_by_task: dict[str, dict[str, float]] = {}
    docs: dict[str, tuple[str, int]] = {}
    item_lines: list[str] = []
    for task, task_records in sorted(run.records.items()):
        records = unique_records(task_records)
        part = _part(task, records)
        counts: dict[str, Any] = {"docs": len(records), "empty_responses": metrics.empty_responses(records)}
        if settings is None:
            values = metrics.compute(metrics.keyword_task_metrics(part), records, metrics.keyword_verdicts(records))
        else:
            judged = judge_records(records, settings, progress=progress)
            annotated = judged.annotate(records)
            values = metrics.compute(metrics.llm_task_metrics(part), annotated, {})
            counts |= {"api_calls": judged.api_calls, "cached_items": judged.cached_items}
            counts["failed_calls"] = judged.failed_items
            llm = metrics.llm_verdicts(annotated)
            block.setdefault("agreement", {})[task] = {
                "keyword_vs_llm": agreement.summary(metrics.keyword_verdicts(records), llm),
                "llm_vs_llm_strict": agreement.summary(llm, metrics.llm_verdicts(annotated, strict=True)),
            }
            for record in annotated:
                item = {"task": task, **{f: record[f] for f in RECORD_FIELDS}, "keyword_judge": record["keyword_judge"]}
                item |= {k: v for k, v in record.items() if k.startswith("llm_judge_")}
                item["llm_judge_cached"] = judged.judgements[record["doc_key"]].cached
                item_lines.append(json.dumps(item, ensure_ascii=False))
        block["counts"][task] = counts
        values_by_task[task], docs[task] = values, (part, len(records))
    if settings is not None:
        block |= {"judge_settings": settings.public(), "prompt_version": PROMPT_VERSION}
        block["judgements_file"] = str(judgements_path)
        judgements_path.parent.mkdir(parents=True, exist_ok=True)
        judgements_path.write_text("".join(line + "\n" for line in item_lines), encoding="utf-8")
    block["results_file"] = str(results_path)
    document = _lmms_document(run, values_by_task, docs) | {"vscbench": block}
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return document


def _headline(value: float) -> str:
    return "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:.4f}"


def _run(args: argparse.Namespace) -> int:
    try:
        document = rescore(args.source, args.judge, args.output)
    except (FileNotFoundError, ValueError, JudgeNotConfigured) as err:
        print(f"vscbench rescore: error: {err}", file=sys.stderr)
        return 1
    for task in document["vscbench"]["counts"]:  # the rescored tasks; the run may hold others
        entry = document["results"][task]
        shown = [f"{m}={_headline(entry[f'{m}_{args.judge}_judge,none'])}" for m in ("sra_u", "sra_s", "sra_mean")]
        counts = ", ".join(f"{k} {v:g}" for k, v in document["vscbench"]["counts"][task].items())
        print(f"{task}: {' '.join(shown)} ({counts})")
    print(f"results: {document['vscbench']['results_file']}")
    if "judgements_file" in document["vscbench"]:
        print(f"per-item judgements: {document['vscbench']['judgements_file']}")
    return 0


def add_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``vscbench rescore``."""
    parser = subparsers.add_parser(
        "rescore",
        help="recompute all metrics of an lmms-eval --log_samples output with a judge (no model needed)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("source", type=Path, help="lmms-eval output folder, *_results.json or *_samples_<task>.jsonl")
    parser.add_argument("--judge", choices=JUDGE_CHOICES, required=True, help="keyword (offline) or llm (official)")
    parser.add_argument("--output", type=Path, help="results JSON to write (default: next to the input)")
    parser.set_defaults(run=_run)
