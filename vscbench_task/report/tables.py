"""The numbers of a report: per model and part, SRA with intervals, SRA by XSTest type, paired metrics.

Everything is computed from the per-doc records lmms-eval logged and the named judge's verdicts, with
the package's metric definitions (``metrics``, ``paired``) and intervals (``bootstrap``); nothing here
defines a metric. SRA point estimates are the official metrics on all records of the run, so they equal
what lmms-eval itself reported for the keyword judge.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from vscbench_task import judging, metrics, paired
from vscbench_task import metadata as md
from vscbench_task.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, Interval, sra_intervals
from vscbench_task.lmms_outputs import Run
from vscbench_task.records import Record
from vscbench_task.task_hooks import unique_records

PARTS = ("image", "text")
PART_TITLES = {"image": "image-centric", "text": "text-centric"}


def xstest_types() -> tuple[str, ...]:
    """The 18 XSTest types of the text-centric part, in sheet order."""
    return tuple(dict.fromkeys(row["type"] for row in md.text_rows()))


def type_kind(xstest_type: str) -> str:
    """The SRA that applies to an XSTest type: ``u`` for the unsafe (contrast) types, else ``s``."""
    return "u" if md.text_row_is_unsafe({"type": xstest_type}) else "s"


def type_metrics(judge: str) -> dict[str, metrics.MetricFn]:
    """SRA per XSTest type (SRA_u for contrast types, SRA_s for the others), pooled and per variant."""
    table: dict[str, metrics.MetricFn] = {}
    for xstest_type in xstest_types():
        kind = type_kind(xstest_type)
        fn = metrics.sra_u if kind == "u" else metrics.sra_s
        of_type = metrics.in_group("category", xstest_type, fn)
        table[metrics.sra_name(kind, judge, xstest_type)] = of_type
        for variant in md.VARIANTS:
            table[metrics.sra_name(kind, judge, xstest_type, variant)] = metrics.in_group("variant", variant, of_type)
    return table


@dataclass
class PartResult:
    """One model's numbers on one part. Intervals are keyed by statistic name (``metrics``/``paired``)."""

    part: str
    task: str
    docs: int
    rows: int
    group_docs: dict[str, int]  # category (image) / variant (text) -> docs
    sra: dict[str, Interval]
    paired: dict[str, Interval]
    paired_groups: dict[str, int]  # statistic -> complete prompts/rows it is over
    complete_groups: int
    by_type: dict[str, Interval] = field(default_factory=dict)
    type_docs: dict[str, int] = field(default_factory=dict)
    judge_failed: int | None = None  # LLM judge calls that failed (None: keyword judge, cannot fail)
    judge_unparseable: int | None = None  # LLM replies the reading could not classify


@dataclass
class ModelResult:
    """One run (one model) and its parts (only those present in the run)."""

    name: str
    source: str
    parts: dict[str, PartResult]


@dataclass
class Report:
    """Every model's numbers, with the settings that produced them."""

    judge: str
    seed: int
    resamples: int
    level: float
    models: list[ModelResult]

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form: intervals as ``{"point", "low", "high"}``, NaN as null."""

        def interval(iv: Interval) -> dict[str, float | None]:
            return {k: None if math.isnan(v) else v for k, v in iv._asdict().items()}

        def part(p: PartResult) -> dict[str, Any]:
            out = {k: v for k, v in vars(p).items() if k not in ("sra", "paired", "by_type")}
            for key in ("sra", "paired", "by_type"):
                out[key] = {name: interval(iv) for name, iv in getattr(p, key).items()}
            return out

        return {
            "judge": self.judge,
            "seed": self.seed,
            "resamples": self.resamples,
            "level": self.level,
            "models": [
                {"name": m.name, "source": m.source, "parts": {k: part(p) for k, p in m.parts.items()}}
                for m in self.models
            ],
        }


def model_names(runs: Sequence[Run]) -> list[str]:
    """``Run.model`` of each run; a name shared by several runs gets ``#1``, ``#2``, ... in run order."""
    names = [run.model for run in runs]
    counts = Counter(names)
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(f"{name} #{seen[name]}" if counts[name] > 1 else name)
    return out


def _responses(records: list[Record]) -> dict[str, str]:
    return {r["doc_key"]: r["response"] for r in records}


def records_by_part(run: Run, source: str) -> dict[str, tuple[str, list[Record]]]:
    """Part -> (task, records) of a run, each doc scored once.

    A run of both the keyword and the LLM-judge tasks holds each part twice; with greedy decoding the
    responses are the same and either task will do (the first by name). Different responses are two
    experiments, which one report row cannot stand for.
    """
    found: dict[str, tuple[str, list[Record]]] = {}
    for task, records in sorted(run.records.items()):
        for part in sorted({r["part"] for r in records}):
            own = unique_records([r for r in records if r["part"] == part])
            if part not in found:
                found[part] = (task, own)
            elif _responses(own) != _responses(found[part][1]):
                raise ValueError(
                    f"{source} holds {PART_TITLES[part]} responses from two tasks ({found[part][0]}, {task}) that "
                    "differ: write each task's run to its own --output_path and pass those folders as separate runs"
                )
    return found


def part_result(
    part: str, task: str, records: list[Record], judge: str, *, seed: int, resamples: int, level: float
) -> PartResult:
    """All numbers of one part for one model."""
    judgement = judging.judged(records, judge)
    verdicts = judgement.verdicts
    settings: dict[str, Any] = {"seed": seed, "resamples": resamples, "level": level}
    field_name = metrics.BREAKDOWN[part][0]
    table = paired.image_table(records, verdicts) if part == "image" else paired.text_table(records, verdicts)
    result = PartResult(
        part=part,
        task=task,
        docs=len(records),
        rows=len({r["row"] for r in records}),
        group_docs=dict(Counter(r[field_name] for r in records)),
        sra=sra_intervals(metrics.sra_metrics(part, judge), records, verdicts, **settings),
        paired=table.intervals(**settings),
        paired_groups={name: int(n) for name, n in zip(table.names, table.den.sum(axis=0), strict=True)},
        complete_groups=len(table.rows),
        judge_failed=judgement.failed,
        judge_unparseable=judgement.unparseable,
    )
    if part == "text":
        result.by_type = sra_intervals(type_metrics(judge), records, verdicts, **settings)
        result.type_docs = dict(Counter(r["category"] for r in records))
    return result


def build(
    runs: Sequence[tuple[str, Run]],
    judge: str,
    *,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> Report:
    """The report's numbers for ``(source, run)`` pairs, one model each, in the order given."""
    models = []
    names = model_names([run for _, run in runs])
    for name, (source, run) in tqdm(list(zip(names, runs, strict=True)), desc="scoring models", unit="model"):
        parts = {
            part: part_result(part, task, records, judge, seed=seed, resamples=resamples, level=level)
            for part, (task, records) in records_by_part(run, source).items()
        }
        models.append(ModelResult(name, source, {p: parts[p] for p in PARTS if p in parts}))
    return Report(judge, seed, resamples, level, models)
