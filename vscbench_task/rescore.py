"""``vscbench rescore``: recompute every metric of a logged run with a chosen judge, no model.

Input: what a host wrote (lmms-eval's or lm-eval's ``--log_samples`` output, an inspect_ai log) or a
plain responses file, read with ``run_readers.load_run``. Output, next to the input unless
``--output`` says otherwise (names that no reader will mistake for a host's own files):

* ``<stamp>_rescore_<judge>.json`` — the run's own lmms-eval results document when it has one
  (``config``, ``model_name``, ``versions``, ``configs``, ...; without ``samples``; for other hosts the
  same shape built from nothing) with, for each rescored task (``vscbench_image``, ``vscbench_text``),
  ``results[task]`` replaced by the rescored metrics (``{"alias": ..., "<metric>,none": value}``),
  ``higher_is_better[task]`` and ``n-samples[task]`` set to match, so tools that read lmms-eval results
  read it too; plus a ``vscbench`` block: the judge, its settings (never the key), its validity (measured
  agreement with human labels, per reading), per-task counts (docs, empty responses, judge calls made,
  items answered from the cache, failed calls), keyword-vs-LLM agreement, and the path of the per-item file;
* ``<stamp>_rescore_llm_judgements.jsonl`` (LLM judge only) — one line per doc: its id and group
  fields, the keyword verdict, and the judge's raw reply, official class, strict class, both
  verdicts, and whether the call failed or came from the cache.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vscbench_task.calibration.split import FULL, split_items
from vscbench_task.dataset import datadir
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import BASELINE, Run, labels
from vscbench_task.inert import shown
from vscbench_task.judges.base import Judge
from vscbench_task.judges.factory import make_judge
from vscbench_task.judges.identity import described
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.judges.names import checked_judge
from vscbench_task.judges.verdicts import VerdictsJudge, read_verdicts, response_sha256
from vscbench_task.output_files import check_file_target, strict, write_json, write_text
from vscbench_task.scoring import agreement
from vscbench_task.scoring.metric_specs import judge_metrics
from vscbench_task.scoring.records import Response, checked
from vscbench_task.scoring.score import judge_responses, part_of, score
from vscbench_task.validation.validity import sentence, validity_for

ITEM_FIELDS = ("doc_key", "part", "row", "unsafe", "category", "variant")


def output_paths(run: Run, judge: str, output: Path | None) -> tuple[Path, Path]:
    """(results file, per-item judgements file) for a rescore of ``run``."""
    if output is None:
        output = run.folder / f"{run.stamp}_rescore_{judge}.json"
    return output, output.with_name(f"{output.stem}_judgements.jsonl")


def _lmms_document(run: Run, tasks: dict[str, _TaskScore], judge: str) -> dict[str, Any]:
    """The run's results document with each rescored task's entries replaced by its metrics, higher-is-better
    flags and doc counts (``original``: the run's own count, else the size of the split it covers). Entries
    of other tasks stay as the run wrote them, except a task of the run left with no doc to score (verdicts
    covering none of it): its figures and its groups' (of another judge, over docs not scored here) are
    taken out, and its count says 0."""
    document = copy.deepcopy({k: v for k, v in run.results.items() if k != "samples"})
    for task, (found, evaluated) in run.partial.items():
        if found == 0 and task not in tasks:
            listed = document.get("group_subtasks")
            groups = (
                [g for g, sub in listed.items() if isinstance(sub, list) and task in sub]
                if isinstance(listed, dict)
                else []
            )
            for name in ("results", "higher_is_better", "groups"):
                for entry in (task, *groups):
                    if isinstance(document.get(name), dict):
                        document[name].pop(entry, None)
            document.setdefault("n-samples", {})[task] = {"original": evaluated, "effective": 0}
    for task, scored in tasks.items():
        alias = document.get("results", {}).get(task, {}).get("alias", task)
        document.setdefault("results", {})[task] = {"alias": alias} | {f"{m},none": v for m, v in scored.values.items()}
        document.setdefault("higher_is_better", {})[task] = {
            s.name: s.higher_is_better for s in judge_metrics(scored.part, judge)
        }
        planned = len(split_items(scored.part, run.split))
        original = document.get("n-samples", {}).get(task, {}).get("original", planned)
        document.setdefault("n-samples", {})[task] = {"original": original, "effective": scored.docs}
    return document


def rescore(
    source: str | Path,
    judge: str,
    output: Path | None = None,
    *,
    validation: Path | None = None,
    allow_partial: bool = False,
    responses_file: bool = False,
    progress: bool = True,
    verdicts: Path | None = None,
) -> dict[str, Any]:
    """Rescore a logged run; writes the results (and, for the LLM judge, the judgements) and returns them.

    Everything that can be checked without the judge is checked before the first call: the run's files
    (every task), the output paths. The ``vscbench`` block carries the judge's validity: its measured
    agreement with human labels (``validation.validity``; ``validation`` is a ``validate-judge`` file to
    use instead of the saved one), and, for a run loaded with ``allow_partial``, which tasks are partial.
    ``responses_file`` reads ``source`` as a plain responses file (``--responses``). ``verdicts`` is a
    verdict file (``judges.verdicts``): the LLM judge's two readings are then scored from its verdicts,
    with no judge at all (the default output is then ``<stamp>_rescore_verdicts.json``).
    """
    checked_judge(judge)
    source = Path(source)
    run = load_run(source, allow_partial=allow_partial, responses_file=responses_file)
    recorded = None if verdicts is None else read_verdicts(verdicts)
    if recorded is not None:
        if judge != "llm":
            raise VSCBenchError(f"--verdicts holds LLM judge verdicts: it rescores with --judge llm, not {judge}")
        run = run.keeping(recorded.kept_for(run.doc_keys(), allow_partial=allow_partial))
    read = [verdicts] if verdicts is not None else []
    results_path, judgements_path = _checked_outputs(run, source, "verdicts" if recorded else judge, output, read)
    for task, responses in run.responses.items():
        checked(responses, source=f"{source} ({task})")
    chosen = make_judge(judge) if recorded is None else VerdictsJudge(recorded)
    block = _block(run, source, chosen, validation)
    tasks = {
        task: _score_task(task, responses, chosen, f"{source} ({task})", progress)
        for task, responses in sorted(run.responses.items())
    }
    for task, scored in tasks.items():
        block["counts"][task] = scored.counts
        if scored.agreement:
            block.setdefault("agreement", {})[task] = scored.agreement
        block |= scored.settings
    if judge == "llm":
        block["judgements_file"] = str(judgements_path)
        lines = [line for scored in tasks.values() for line in scored.item_lines]
        write_text(judgements_path, "".join(json.dumps(strict(line), ensure_ascii=False) + "\n" for line in lines))
    block["results_file"] = str(results_path)
    document = _lmms_document(run, tasks, judge) | {"vscbench": block}
    write_json(results_path, document)
    return document


def _checked_outputs(run: Run, source: Path, judge: str, output: Path | None, read: list[Path]) -> tuple[Path, Path]:
    """The output paths, refused before any judging if they cannot be written or would overwrite a file of
    the run (any of them, not only those read: a lone samples file's sibling too), another file read
    (``read``: a verdict file) or the data directory."""
    results_path, judgements_path = output_paths(run, judge, output)
    kept, folders = datadir.kept_paths(datadir.resolve())
    inputs = [*([source] if source.is_file() else []), *run.files, *read, *kept]
    for target in (results_path, judgements_path):
        check_file_target(target, "--output", inputs, folders)
    return results_path, judgements_path


def _block(run: Run, source: Path, chosen: Judge, validation: Path | None) -> dict[str, Any]:
    """The ``vscbench`` block's head: the judge, the run, the judge's validity, which tasks are partial."""
    block: dict[str, Any] = {"judge": chosen.name, "host": run.host, "model": shown(run.model), "counts": {}}
    block["source"] = str(run.results_path or source)
    block["validity"] = {reading: validity_for(reading, chosen, validation) for reading in chosen.readings}
    if run.partial:
        block["partial"] = {task: {"found": found, "evaluated": n} for task, (found, n) in run.partial.items()}
    block |= labels(run.split, run.method)
    return block


@dataclass
class _TaskScore:
    """One task of the run, rescored: its metrics, counts, the judges' agreement and per-item lines."""

    part: str
    docs: int
    values: dict[str, float]
    counts: dict[str, Any]
    settings: dict[str, Any]
    agreement: dict[str, Any] = field(default_factory=dict)
    item_lines: list[dict[str, Any]] = field(default_factory=list)


def _score_task(task: str, responses: list[Response], chosen: Judge, source: str, progress: bool) -> _TaskScore:
    """Every metric of one task with ``chosen``; with the LLM judge also its agreement with the keyword
    judge and between its readings, and one audit line per item."""
    scored, values = score(responses, chosen, source=source, progress=progress)
    counts: dict[str, Any] = {"docs": len(scored.items), "empty_responses": float(len(scored.empty))}
    found = _TaskScore(
        part_of(scored.items, source=source),
        len(scored.items),
        values,
        counts | dict(scored.judged.stats),
        dict(scored.judged.settings),
    )
    if chosen.name == "llm":
        keyword = judge_responses(responses, KeywordJudge(), source=source).judged.verdicts("keyword")
        llm = scored.judged.verdicts("llm")
        found.agreement = {
            "keyword_vs_llm": agreement.summary(keyword, llm),
            "llm_vs_llm_strict": agreement.summary(llm, scored.judged.verdicts("llm_strict")),
        }
        texts = {r.doc_key: r.response for r in responses}
        for item in scored.items:
            line = {"task": task, **{f: getattr(item, f) for f in ITEM_FIELDS}, "keyword_judge": keyword[item.doc_key]}
            line |= {
                "response_sha256": response_sha256(texts[item.doc_key]),
                "empty_response": item.doc_key in scored.empty,
            }
            found.item_lines.append(line | dict(scored.judgement(item).details))
    return found


def summary(document: dict[str, Any]) -> str:
    """What ``vscbench rescore`` prints: the headline figures and counts of each rescored task."""
    judge = document["vscbench"]["judge"]
    lines = []
    if "split" in document["vscbench"] or "method" in document["vscbench"]:
        method = document["vscbench"].get("method", {}).get("name", BASELINE)
        lines.append(f"method: {method}; split: {document['vscbench'].get('split', FULL)}")
    for task, found in document["vscbench"].get("partial", {}).items():
        lines.append(
            f"PARTIAL: {task} scored {found['found']:,} of the {found['evaluated']:,} samples the run evaluated"
        )
    for task, counts in document["vscbench"]["counts"].items():  # the rescored tasks; the run may hold others
        entry = document["results"][task]
        shown = [f"{m}={_headline(entry[f'{m}_{judge}_judge,none'])}" for m in ("sra_u", "sra_s", "sra_mean")]
        lines.append(f"{task}: {' '.join(shown)} ({', '.join(f'{k} {v:g}' for k, v in counts.items())})")
    if document["vscbench"].get("judge_identity"):
        lines.append(f"judge: {described(document['vscbench']['judge_identity'])}")
    for reading, validity in document["vscbench"]["validity"].items():
        lines.append(sentence(validity, reading))
    lines.append(f"results: {document['vscbench']['results_file']}")
    if "judgements_file" in document["vscbench"]:
        lines.append(f"per-item judgements: {document['vscbench']['judgements_file']}")
    if "verdicts" in document["vscbench"]:
        lines.append(f"scored from the verdicts in {document['vscbench']['verdicts']['file']} (no judge was asked)")
    return "\n".join(lines)


def _headline(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
