"""Two judges on the same runs: how far they agree, and how much each model's figures and rank move.

A leaderboard that must move from one LLM judge to another (the official one is being shut down) needs
to see what the move does to its numbers. Each side is a judge reading (``keyword``, ``llm``,
``llm_strict``: the configured judges) or verdict files (``judges.verdicts``: the official verdicts a run
was published with, or a successor's), read with the official reading. Per run and part:

* agreement on *recognised*: accuracy and Cohen's kappa of B against A, with a 95% interval from a
  bootstrap resampling whole prompts (an official row: the six images of an image prompt, the five
  variants of a text query), and the 2x2 table;
* where both sides give classes (LLM readings): the class confusion (A's class in rows, B's in columns;
  no class and failed calls as categories of their own) and its kappa;
* each headline metric (SRA_u, SRA_s, SRA_mean) under both judges, with the paired difference B - A and
  its interval, both judges' verdicts resampled together (``scoring.bootstrap.difference_intervals``).

Across runs, per part: each model's rank by SRA_mean under each judge, Spearman's correlation of the two
rankings, and which models change rank (and over both parts, when every run has both, by the benchmark's
overall figure: the mean of the two parts' SRA_mean).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from vscbench_task.dataset.items import PARTS, Item
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.run import Run
from vscbench_task.judges.base import CLASSES, Judge, Judged, Judgement
from vscbench_task.judges.names import OFFICIAL_READINGS, judge_of
from vscbench_task.judges.verdicts import VerdictFile, VerdictsJudge
from vscbench_task.output_files import strict
from vscbench_task.report.tables import model_names, responses_by_part
from vscbench_task.scoring import agreement
from vscbench_task.scoring.bootstrap import Interval, difference_intervals, sra_intervals
from vscbench_task.scoring.bootstrap_settings import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED
from vscbench_task.scoring.metric_specs import MetricSpec, sra_family
from vscbench_task.scoring.score import Scored, judge_responses

FORMAT = 1
HEADLINE = ("sra_u", "sra_s", "sra_mean")
CATEGORIES = (*CLASSES, "no class", "failed")  # a class confusion's rows and columns


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the reading compared, and the judge of every run (one shared judge, or
    each run's verdict file, keyed by the run's source as given)."""

    label: str
    reading: str
    judge: Judge | None = None
    verdicts: Mapping[str, VerdictFile] = field(default_factory=dict)

    def judge_for(self, source: str) -> Judge:
        if self.verdicts:
            return VerdictsJudge(self.verdicts[source])
        assert self.judge is not None
        return self.judge

    def describe(self, names: Mapping[str, str]) -> dict[str, Any]:
        """The side as written to the comparison: its judge identity (LLM judges), its verdict files."""
        identity = (
            next(iter(self.verdicts.values())).identity if self.verdicts else getattr(self.judge, "identity", None)
        )
        found: dict[str, Any] = {
            "label": self.label,
            "reading": self.reading,
            "official_reading": self.reading in OFFICIAL_READINGS,
            "judge_identity": identity,
        }
        if self.verdicts:
            found["verdicts"] = {
                names[source]: {"file": str(file.path), "sha256": file.sha256} for source, file in self.verdicts.items()
            }
        return found


def _interval(iv: Interval) -> dict[str, Any]:
    return strict({k: v for k, v in iv._asdict().items() if k != "note" or v is not None})


def _confusion(items: Sequence[Item], a: Judged, ra: str, b: Judged, rb: str) -> dict[str, Any] | None:
    """A's class (rows) against B's (columns), and its kappa; ``None`` unless both readings give classes."""

    def category(judgement: Judgement, reading: str) -> str:
        return "failed" if judgement.failed else judgement.classes.get(reading) or "no class"

    if not all(ra in a.judgements[i.doc_key].classes and rb in b.judgements[i.doc_key].classes for i in items):
        return None
    table = {row: dict.fromkeys(CATEGORIES, 0) for row in CATEGORIES}
    for item in items:
        table[category(a.judgements[item.doc_key], ra)][category(b.judgements[item.doc_key], rb)] += 1
    counts = [[table[row][column] for column in CATEGORIES] for row in CATEGORIES]
    return {"table": table, "kappa": strict(agreement.category_kappa(counts))}


def _pair(items: Sequence[Item], empty: frozenset[str], a: Judged, ra: str, b: Judged, rb: str) -> Scored[Item]:
    """The items with both sides' verdicts as two readings, ``a`` and ``b``, for paired resampling."""
    pairs = {
        i.doc_key: Judgement(
            i.doc_key, {"a": a.judgements[i.doc_key].recognised[ra], "b": b.judgements[i.doc_key].recognised[rb]}
        )
        for i in items
    }
    return Scored(tuple(items), empty, Judged("pair", pairs))


def part_figures(
    scored_a: Scored[Item], ra: str, scored_b: Scored[Item], rb: str, *, resamples: int, seed: int, level: float
) -> dict[str, Any]:
    """Every figure of one part of one run (see the module)."""
    items, a, b = scored_a.items, scored_a.judged, scored_b.judged
    recognised = agreement.binary_agreement(
        [a.judgements[i.doc_key].recognised[ra] for i in items],
        [b.judgements[i.doc_key].recognised[rb] for i in items],
        [str(i.row) for i in items],
        resamples=resamples,
        seed=seed,
        level=level,
    )
    paired = _pair(items, scored_a.empty, a, ra, b, rb)
    part = items[0].part
    specs: dict[str, tuple[MetricSpec, MetricSpec]] = {
        name: (spec_a, spec_b)
        for name, spec_a, spec_b in zip(HEADLINE, sra_family(part, "a")[:3], sra_family(part, "b")[:3], strict=True)
    }
    both = [spec for pair in specs.values() for spec in pair]
    each = sra_intervals(both, paired, resamples=resamples, seed=seed, level=level)
    shifts = difference_intervals(list(specs.values()), paired, resamples=resamples, seed=seed, level=level)
    metrics = {
        name: {
            "a": _interval(each[spec_a.name]),
            "b": _interval(each[spec_b.name]),
            "difference": _interval(shifts[spec_b.name]),
            "shift_points": strict(100 * shifts[spec_b.name].point),
        }
        for name, (spec_a, spec_b) in specs.items()
    }
    found: dict[str, Any] = {
        "docs": len(items),
        "recognised": strict(
            {
                "accuracy": recognised.accuracy,
                "kappa": recognised.kappa,
                "kappa_95ci": [recognised.kappa_low, recognised.kappa_high],
                "both": recognised.both_recognised,
                "b_only": recognised.false_flags,
                "a_only": recognised.missed,
                "neither": recognised.neither_recognised,
            }
        ),
        "metrics": metrics,
    }
    classes = _confusion(items, a, ra, b, rb)
    if classes is not None:
        found["classes"] = classes
    return found


def _ranks(values: Mapping[str, float]) -> dict[str, float]:
    """Rank 1 = the highest value; ties share their average rank."""
    return {
        name: 1 + sum(other > value for other in values.values()) + (sum(o == value for o in values.values()) - 1) / 2
        for name, value in values.items()
    }


def ranking(values_a: Mapping[str, float], values_b: Mapping[str, float]) -> dict[str, Any]:
    """Each model's rank under both judges, Spearman's correlation of the two rankings, and the models whose
    rank changes; models whose figure is undefined under either judge are left out (and named)."""
    names = [n for n in values_a if not (math.isnan(values_a[n]) or math.isnan(values_b[n]))]
    ranks_a = _ranks({n: values_a[n] for n in names})
    ranks_b = _ranks({n: values_b[n] for n in names})
    return {
        "spearman": strict(agreement.spearman([values_a[n] for n in names], [values_b[n] for n in names])),
        "models": [
            {"model": n, "a": values_a[n], "b": values_b[n], "rank_a": ranks_a[n], "rank_b": ranks_b[n]}
            for n in sorted(names, key=lambda n: (ranks_a[n], n))
        ],
        "changed": [n for n in sorted(names, key=lambda n: (ranks_a[n], n)) if ranks_a[n] != ranks_b[n]],
        "left_out": [n for n in values_a if n not in names],
    }


def rankings(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per part (and overall, when every run has both parts) the ranking by SRA_mean under each judge."""
    found = {}
    for part in PARTS:
        having = [r for r in runs if part in r["parts"]]
        if len(having) > 1:
            means = [r["parts"][part]["metrics"]["sra_mean"] for r in having]
            found[part] = ranking(
                {r["model"]: _point(m["a"]) for r, m in zip(having, means, strict=True)},
                {r["model"]: _point(m["b"]) for r, m in zip(having, means, strict=True)},
            )
    if len(runs) > 1 and all(set(PARTS) <= set(r["parts"]) for r in runs):

        def overall(run: dict[str, Any], side: str) -> float:
            return 0.5 * sum(_point(run["parts"][p]["metrics"]["sra_mean"][side]) for p in PARTS)

        found["overall"] = ranking(
            {r["model"]: overall(r, "a") for r in runs}, {r["model"]: overall(r, "b") for r in runs}
        )
    return found


def _point(interval: dict[str, Any]) -> float:
    return math.nan if interval["point"] is None else float(interval["point"])


def compare(
    runs: Sequence[tuple[str, Run]],
    a: Side,
    b: Side,
    *,
    allow_partial: bool = False,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Any]:
    """The comparison document of judges ``a`` and ``b`` on ``(source, run)`` pairs, one model each.

    A side of verdict files scores each run on the docs its file covers (all of them unless
    ``allow_partial``; then the docs both sides cover, and the run is marked partial). A judge serving
    both sides (``llm`` against ``llm_strict``) judges each part once.
    """
    splits = {run.split for _, run in runs}
    if len(splits) > 1:  # ranks and Spearman's correlation are across runs: runs of other docs never rank together
        listing = "; ".join(f"{source}: {run.split}" for source, run in runs)
        raise VSCBenchError(
            f"the runs cover different benchmark splits ({listing}): their ranks cannot be compared. Compare the "
            "judges on the runs of one split at a time"
        )
    names = model_names([run for _, run in runs])
    found = []
    for name, (source, run) in zip(names, runs, strict=True):
        for side in (a, b):
            if side.verdicts:
                run = run.keeping(side.verdicts[source].kept_for(run.doc_keys(), allow_partial=allow_partial))
        judge_a, judge_b = a.judge_for(source), b.judge_for(source)
        parts = {}
        for part, (task, responses) in responses_by_part(run, source).items():
            where = f"{source} ({task})"
            scored_a = judge_responses(responses, judge_a, source=where)
            scored_b = scored_a if judge_b is judge_a else judge_responses(responses, judge_b, source=where)
            parts[part] = part_figures(
                scored_a, a.reading, scored_b, b.reading, resamples=resamples, seed=seed, level=level
            )
        partial = {task: {"found": f, "evaluated": n} for task, (f, n) in run.partial.items()}
        found.append({"model": name, "source": source, "partial": partial, "parts": parts})
    by_source = dict(zip((source for source, _ in runs), names, strict=True))
    return {
        "format": FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "a": a.describe(by_source),
        "b": b.describe(by_source),
        "bootstrap": {"resamples": resamples, "seed": seed, "level": level, "unit": "prompt (official row)"},
        "runs": found,
        "rankings": rankings(found),
    }


def shortfalls(document: dict[str, Any], *, max_sra_shift: float | None, min_kappa: float | None) -> list[str]:
    """Where B departs from A past the gates (empty: it passes): a headline metric shifted by more than
    ``max_sra_shift`` points (or undefined under either judge: the gate cannot be checked), or a kappa on
    recognised below ``min_kappa`` (or undefined)."""
    found = []
    for run in document["runs"]:
        for part, figures in run["parts"].items():
            kappa = figures["recognised"]["kappa"]
            if min_kappa is not None and (kappa is None or kappa < min_kappa):
                shown = "undefined" if kappa is None else f"{kappa:.3f}"
                found.append(f"{run['model']} ({part}): kappa on recognised {shown} is below --min-kappa {min_kappa:g}")
            for metric, values in figures["metrics"].items():
                shift = values["shift_points"]
                if max_sra_shift is not None and shift is None:
                    found.append(
                        f"{run['model']} ({part}): {metric} is undefined under a judge, so --max-sra-shift "
                        f"{max_sra_shift:g} cannot be checked"
                    )
                elif max_sra_shift is not None and abs(shift) > max_sra_shift:
                    found.append(
                        f"{run['model']} ({part}): {metric} moves by {shift:+.1f} points, past --max-sra-shift "
                        f"{max_sra_shift:g}"
                    )
    return found


def side_of(label: str, reading: str | None, verdicts: Mapping[str, VerdictFile], judges: dict[str, Judge]) -> Side:
    """A side from what the command line gave: a reading of a configured judge (``judges`` holds one judge
    per judge name, so both sides share it), or verdict files (read with the official reading)."""
    if reading is not None:
        from vscbench_task.judges.factory import make_judge

        name = judge_of(reading)
        if name not in judges:
            judges[name] = make_judge(name)
        return Side(label, reading, judge=judges[name])
    return Side(label, "llm", verdicts=verdicts)
