"""The numbers of a report: per model and part, SRA with intervals, SRA by XSTest type, paired metrics.

Everything is computed through the scoring core from the responses lmms-eval logged and the named
judge: values and intervals from the metric specs (``scoring.score``, ``scoring.bootstrap``), paired
figures from the same judgements (``scoring.paired``); nothing here defines a metric. SRA point
estimates are the metrics on all responses of the run, so they equal what lmms-eval itself reported
for the keyword judge.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from vscbench_task.calibration.split import FULL
from vscbench_task.dataset.items import PART_TITLES, PARTS
from vscbench_task.hosts.run import Run, labels
from vscbench_task.inert import distinct, shown
from vscbench_task.judges.base import Judge
from vscbench_task.judges.factory import make_judge
from vscbench_task.judges.names import judge_of
from vscbench_task.judges.verdicts import VerdictsJudge
from vscbench_task.output_files import strict
from vscbench_task.report.results_cache import ResultsCache, entry_key, responses_digest
from vscbench_task.scoring import paired
from vscbench_task.scoring.bootstrap import Interval, sra_bootstrap, sra_intervals
from vscbench_task.scoring.bootstrap_settings import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED
from vscbench_task.scoring.metric_specs import BREAKDOWN, sra_family, sra_name, type_family
from vscbench_task.scoring.records import RecordError, Response
from vscbench_task.scoring.score import judge_responses
from vscbench_task.validation.validity import validity_for


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
    # The bootstrap replicates of the part's sra_mean, the ranking key (``ranking``); not written out.
    replicates: np.ndarray | None = field(default=None, repr=False, compare=False)
    # Whether every verdict is final: no judge call failed and every reply has a class under every reading
    # (a later run asks again for the others, so their results are not kept between reports).
    settled: bool = field(default=True, repr=False, compare=False)

    def fields(self) -> dict[str, Any]:
        """Every field but the replicates: what ``report.json`` and the results cache hold."""
        return {k: v for k, v in vars(self).items() if k not in ("replicates", "settled")}


@dataclass
class ModelResult:
    """One run (one model) and its parts (only those present in the run).

    ``name`` is how every output shows the model (``model_names``); ``run`` what the run itself says
    (``run_details``).
    """

    name: str
    source: str
    parts: dict[str, PartResult]
    partial: dict[str, tuple[int, int]] = field(default_factory=dict)  # task -> (samples found, evaluated)
    split: str = FULL  # the benchmark split the run covers: runs of different splits are never ranked together
    method: dict[str, Any] = field(default_factory=dict)  # the calibration method and its parameters ({}: unknown)
    run: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Report:
    """Every model's numbers, with the settings that produced them."""

    judge: str
    seed: int
    resamples: int
    level: float
    models: list[ModelResult]
    validity: dict[str, Any] = field(default_factory=dict)  # the judge's measured agreement with humans
    judge_identity: dict[str, Any] | None = None  # the LLM judge's (judges.identity); None for the keyword judge
    verdicts: dict[str, dict[str, str]] = field(default_factory=dict)  # model -> verdict file, when scored from one

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form: intervals as ``{"point", "low", "high"}``, NaN as null."""

        def interval(iv: Interval) -> dict[str, Any]:
            return strict({k: v for k, v in iv._asdict().items() if k != "note" or v is not None})

        def part(p: PartResult) -> dict[str, Any]:
            out = {k: v for k, v in p.fields().items() if k not in ("sra", "paired", "by_type")}
            for key in ("sra", "paired", "by_type"):
                out[key] = {name: interval(iv) for name, iv in getattr(p, key).items()}
            return out

        return {
            "judge": self.judge,
            "judge_identity": self.judge_identity,
            **({"verdicts": self.verdicts} if self.verdicts else {}),
            "validity": self.validity,
            "seed": self.seed,
            "resamples": self.resamples,
            "level": self.level,
            "models": [
                {
                    "name": m.name,
                    "source": m.source,
                    "run": m.run,
                    "partial": {task: {"found": f, "evaluated": n} for task, (f, n) in m.partial.items()},
                    **labels(m.split, m.method),
                    "parts": {k: part(p) for k, p in m.parts.items()},
                }
                for m in self.models
            ],
        }


def model_names(runs: Sequence[Run]) -> list[str]:
    """``Run.model`` of each run as every output shows it (``inert.distinct``), with its method and split
    when it has them (``Run.label``): hidden characters escaped, and names that render alike numbered ``#1``,
    ``#2``, ... in run order."""
    return distinct([f"{run.model} ({run.label()})" if run.label() else run.model for run in runs])


def _texts(responses: list[Response]) -> dict[str, str | None]:
    return {r.doc_key: r.response for r in responses}


def responses_by_part(run: Run, source: str) -> dict[str, tuple[str, list[Response]]]:
    """Part -> (task, responses) of a run.

    A run of both the keyword and the LLM-judge tasks holds each part twice; with greedy decoding the
    responses are the same and either task will do (the first by name). Different responses are two
    experiments, which one report row cannot stand for.
    """
    found: dict[str, tuple[str, list[Response]]] = {}
    for task, responses in sorted(run.responses.items()):
        for part in sorted({r.item.part for r in responses}):
            own = [r for r in responses if r.item.part == part]
            if part not in found:
                found[part] = (task, own)
            elif _texts(own) != _texts(found[part][1]):
                raise RecordError(
                    f"{source} holds {PART_TITLES[part]} responses from two tasks ({found[part][0]}, {task}) that "
                    "differ: write each task's run to its own --output_path and pass those folders as separate runs"
                )
    return found


def part_result(
    part: str,
    task: str,
    responses: list[Response],
    judge: Judge,
    reading: str,
    *,
    source: str,
    seed: int,
    resamples: int,
    level: float,
) -> PartResult:
    """All numbers of one part for one model."""
    scored = judge_responses(responses, judge, source=f"{source} ({task})")
    verdicts = scored.judged.verdicts(reading)
    settings: dict[str, Any] = {"seed": seed, "resamples": resamples, "level": level}
    field_name = BREAKDOWN[part][0]
    table = paired.image_table(scored.items, verdicts) if part == "image" else paired.text_table(scored.items, verdicts)
    unparseable = scored.judged.unparseable(reading)
    sra, replicates = sra_bootstrap(sra_family(part, reading), scored, **settings)
    result = PartResult(
        part=part,
        task=task,
        docs=len(scored.items),
        rows=len({item.row for item in scored.items}),
        group_docs=dict(Counter(getattr(item, field_name) for item in scored.items)),
        sra=sra,
        paired=table.intervals(**settings),
        paired_groups={name: int(n) for name, n in zip(table.names, table.den.sum(axis=0), strict=True)},
        complete_groups=len(table.rows),
        judge_failed=None if unparseable is None else scored.judged.failed(),
        judge_unparseable=unparseable,
        replicates=replicates[sra_name("mean", reading)],
        settled=not scored.judged.failed() and not any(scored.judged.unparseable(r) for r in judge.readings),
    )
    if part == "text":
        result.by_type = sra_intervals(type_family(reading), scored, **settings)
        result.type_docs = dict(Counter(item.category for item in scored.items))
    return result


def run_details(run: Run, responses: dict[str, tuple[str, list[Response]]]) -> dict[str, str | None]:
    """What a run says about itself (``ModelResult.run``): its model's name as written (shown inert), its
    host, a hash of its responses (whatever the files are called) and, where its host records it, the
    backend that generated them (lmms-eval's ``--model``; a results file is not trusted, so a field of
    another type is left out rather than guessed)."""
    config = run.results.get("config")
    backend = config.get("model") if isinstance(config, dict) else None
    digest = hashlib.sha256()
    for part in sorted(responses):
        digest.update(f"{part}\0{responses_digest(responses[part][1])}\0".encode())
    return {
        "model": shown(run.model),
        "host": run.host,
        "sha256": digest.hexdigest(),
        "backend": backend if isinstance(backend, str) else None,
    }


def verdicts_of(scorer: Judge) -> dict[str, Any]:
    """What a judge's verdicts are determined by, for the results cache: its name and identity (the
    keyword judge has none: its list is part of the code the cache keys on) and, for verdicts read from
    a verdict file, that file's content."""
    found: dict[str, Any] = {"judge": scorer.name, "identity": getattr(scorer, "identity", None)}
    if isinstance(scorer, VerdictsJudge):
        found["verdicts_sha256"] = scorer.verdicts.sha256
    return found


def _from_cache(cache: ResultsCache | None, key: str) -> PartResult | None:
    return (
        None
        if cache is None
        else cache.get(key, lambda fields, replicates: PartResult(**fields, replicates=replicates))
    )


def build(
    runs: Sequence[tuple[str, Run]],
    judge: str,
    *,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    validation: Path | None = None,
    judges: Sequence[Judge] | None = None,
    cache: ResultsCache | None = None,
) -> Report:
    """The report's numbers for ``(source, run)`` pairs, one model each, in the order given.

    ``judge`` is the reading to report (``keyword``, ``llm`` or ``llm_strict``); its validity comes from
    ``validation`` (a ``validate-judge`` file) or where ``validation.validity`` looks for it. ``judges``
    gives each run its own judge (a ``VerdictsJudge`` per run, all of one judge identity); by default
    every run is judged by the judge the reading names. A part whose results ``cache`` holds (same
    responses, judge, bootstrap settings and code) is not computed again.
    """
    scorers = list(judges) if judges is not None else [make_judge(judge_of(judge))] * len(runs)
    validity = validity_for(judge, scorers[0], validation)
    models = []
    names = model_names([run for _, run in runs])
    verdicts = {}
    for name, (source, run), scorer in tqdm(
        list(zip(names, runs, scorers, strict=True)), desc="scoring models", unit="model"
    ):
        parts = {}
        found = responses_by_part(run, source)
        for part, (task, responses) in found.items():
            key = entry_key(
                digest=responses_digest(responses), part=part, task=task, reading=judge, judge=verdicts_of(scorer),
                seed=seed, resamples=resamples, level=level,
            )  # fmt: skip
            result = _from_cache(cache, key)
            if result is None:
                result = part_result(
                    part, task, responses, scorer, judge, source=source, seed=seed, resamples=resamples, level=level
                )
                if cache is not None and result.settled:
                    cache.put(key, result.fields(), result.replicates)
            parts[part] = result
        chosen = {p: parts[p] for p in PARTS if p in parts}
        details = run_details(run, found)
        models.append(ModelResult(name, source, chosen, dict(run.partial), run.split, dict(run.method), details))
        if isinstance(scorer, VerdictsJudge):
            verdicts[name] = {"file": str(scorer.verdicts.path), "sha256": scorer.verdicts.sha256}
    identity = getattr(scorers[0], "identity", None)
    return Report(judge, seed, resamples, level, models, validity, identity, verdicts)
