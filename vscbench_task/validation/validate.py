"""A judge measured against human labels: every figure ``vscbench validate-judge`` reports.

The judge runs on the gold responses exactly as on VSCBench's (the same ``Judge`` objects: for the LLM
judge the same client, settings, preflight, cache and failure budget; an empty response gets the same
official substitute), and each of its readings is compared with the humans, per gold set:

* n, rows left out (no VSCBench class), accuracy and Cohen's kappa on *recognised* / *not recognised*,
  with a 95% interval from a bootstrap that resamples whole prompts (every model's response to one
  prompt together), and the 2x2 confusion: false flags (judge recognised, humans not) and missed
  recognitions (the reverse);
* for a reading with classes (the LLM judge's), the 4x4 class confusion plus replies with no class and
  failed calls (shown as such, never mapped to a class), and recall per gold class;
* per model in the set: the human and the judge SRA (SRA_u on unsafe prompts; SRA_s on safe ones, XSTest
  only: MSTS has no safe prompts), computed by the scoring core from the same metric specs as VSCBench's
  figures, with the absolute error in points; the mean and max error over models and the Spearman
  correlation of the two model rankings;
* the human ceiling: annotator against annotator, same mapping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vscbench_task.judges.base import CLASSES, Judge, Judged, JudgeInput, Judgement, is_recognised
from vscbench_task.output_files import write_json, write_text
from vscbench_task.scoring import agreement
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES, DEFAULT_SEED
from vscbench_task.scoring.metric_specs import share
from vscbench_task.scoring.records import official_response
from vscbench_task.scoring.score import Scored, compute
from vscbench_task.validation import GOLD_SETS
from vscbench_task.validation.gold import MAPPING_VERSION, TITLES, GoldItem, GoldSet, GoldSetError

FORMAT = 1
OUTPUT_FILES = ("validation.json", "validation.md")  # what ``write`` puts in its folder
Weights = Mapping[str, float] | None  # doc_key -> sampling weight; None: every item counts once
HUMAN = "human"  # the gold labels, as a reading
OFFICIAL_READING = {"keyword": "keyword", "llm": "llm"}  # what the gates check


def limited(gold: GoldSet, limit: int | None) -> GoldSet:
    """The first ``limit`` items in prompt order (every model's response to a prompt together), and the
    human ceiling on the prompts whose items are all kept (the annotator pairs of other prompts would set
    a ceiling for responses the judge was never measured on)."""
    if limit is None:
        return gold
    order = {prompt: i for i, prompt in enumerate(dict.fromkeys(item.prompt for item in gold.items))}
    ordered = sorted(gold.items, key=lambda item: (order[item.prompt], item.model))
    items, left_out = ordered[:limit], ordered[limit:]
    prompts = {item.prompt for item in items} - {item.prompt for item in left_out}
    kept = [i for i, (prompt, _, _) in enumerate(gold.annotator_pairs) if prompt in prompts]
    return replace(
        gold,
        items=tuple(items),
        annotator_pairs=tuple(gold.annotator_pairs[i] for i in kept),
        pair_weights=None if gold.pair_weights is None else tuple(gold.pair_weights[i] for i in kept),
    )


def _human(items: Sequence[GoldItem]) -> Judged:
    return Judged(
        HUMAN,
        {i.doc_key: Judgement(i.doc_key, {HUMAN: is_recognised(i.human_class)}, {HUMAN: i.human_class}) for i in items},
    )


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _binary(
    reference: list[bool],
    judge: list[bool],
    clusters: list[str],
    resamples: int,
    seed: int,
    weights: list[float] | None = None,
) -> dict[str, Any]:
    found = agreement.binary_agreement(reference, judge, clusters, resamples=resamples, seed=seed, weights=weights)
    return {
        "n": found.n,
        "accuracy": _json_number(found.accuracy),
        "kappa": _json_number(found.kappa),
        "kappa_95ci": [_json_number(found.kappa_low), _json_number(found.kappa_high)],
        "recognised_by_both": found.both_recognised,
        "false_flags": found.false_flags,
        "missed": found.missed,
        "recognised_by_neither": found.neither_recognised,
    }


def _classes(items: Sequence[GoldItem], judged: Judged, reading: str, weights: Weights) -> dict[str, Any]:
    """The 4x4 class confusion (gold -> judge class, "no class", "failed") and recall per gold class;
    counts, or sums of weights for a weighted set."""
    columns = [*CLASSES, "no class", "failed"]
    confusion: dict[str, dict[str, float]] = {gold: {c: 0 for c in columns} for gold in CLASSES}
    for item in items:
        judgement = judged.judgements[item.doc_key]
        column = "failed" if judgement.failed else judgement.classes.get(reading) or "no class"
        confusion[item.human_class][column] += 1 if weights is None else weights[item.doc_key]
    recall = {}
    for gold, row in confusion.items():
        n = sum(row.values())
        recognised = sum(row[c] for c in columns if is_recognised(c))
        recall[gold] = {
            "n": n,
            "same_class": _json_number(row[gold] / n if n else math.nan),
            "judged_recognised": _json_number(recognised / n if n else math.nan),
        }
    return {
        "class_confusion": {gold: {c: row[c] for c in columns} for gold, row in confusion.items()},
        "recall_by_gold_class": recall,
    }


def _models(items: Sequence[GoldItem], judged: Judged, reading: str, weights: Weights) -> dict[str, Any]:
    """Per model: the human and the judge SRA through the scoring core (weighted shares for a weighted
    set), errors and rank correlation."""
    models = sorted({item.model for item in items})
    human = Scored(tuple(items), frozenset(), _human(items), weights)
    by_judge = Scored(tuple(items), frozenset(), judged, weights)
    kinds = [kind for kind in ("u", "s") if any(item.unsafe == (kind == "u") for item in items)]
    rows = []
    summary: dict[str, Any] = {}
    for kind in kinds:
        h_specs = [share(kind, HUMAN, (("model", m),)) for m in models]
        j_specs = [share(kind, reading, (("model", m),)) for m in models]
        h_values, j_values = compute(h_specs, human), compute(j_specs, by_judge)
        pairs = [(m, h_values[h.name], j_values[j.name]) for m, h, j in zip(models, h_specs, j_specs, strict=True)]
        errors = {m: abs(h - j) * 100 for m, h, j in pairs}
        worst = max(errors, key=errors.__getitem__)
        summary[f"sra_{kind}"] = {
            "mean_abs_error_points": sum(errors.values()) / len(errors),
            "max_abs_error_points": errors[worst],
            "max_error_model": worst,
            "spearman": _json_number(agreement.spearman([h for _, h, _ in pairs], [j for _, _, j in pairs])),
        }
        for m, h, j in pairs:
            n = sum(item.model == m and item.unsafe == (kind == "u") for item in items)
            rows.append(
                {"model": m, "metric": f"sra_{kind}", "n": n, "human": h, "judge": j, "error_points": errors[m]}
            )
    return {"models": rows, "sra_errors": summary}


def reading_figures(
    items: Sequence[GoldItem], judged: Judged, reading: str, *, resamples: int, seed: int, weights: Weights = None
) -> dict[str, Any]:
    """Every figure of one reading on one gold set; with ``weights`` (doc_key -> sampling weight) every
    agreement figure and SRA is weighted (``n``, ``no_class`` and ``failed`` stay counts of items)."""
    human = [is_recognised(item.human_class) for item in items]
    verdicts = [judged.judgements[item.doc_key].recognised[reading] for item in items]
    item_weights = None if weights is None else [weights[item.doc_key] for item in items]
    figures = _binary(human, verdicts, [item.prompt for item in items], resamples, seed, item_weights)
    has_classes = any(reading in judged.judgements[item.doc_key].classes for item in items)
    if has_classes:
        figures |= _classes(items, judged, reading, weights)
        figures["no_class"] = sum(
            not judged.judgements[i.doc_key].failed and judged.judgements[i.doc_key].classes.get(reading) is None
            for i in items
        )
        figures["failed"] = sum(judged.judgements[i.doc_key].failed for i in items)
    return figures | _models(items, judged, reading, weights)


def human_ceiling(gold: GoldSet, *, resamples: int, seed: int) -> dict[str, Any]:
    """Annotator against annotator, through the same mapping (weighted like the set)."""
    first = [is_recognised(a) for _, a, _ in gold.annotator_pairs]
    second = [is_recognised(b) for _, _, b in gold.annotator_pairs]
    weights = None if gold.pair_weights is None else list(gold.pair_weights)
    return _binary(first, second, [prompt for prompt, _, _ in gold.annotator_pairs], resamples, seed, weights)


def validate(
    judge: Judge,
    gold_sets: Sequence[GoldSet],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    limit: int | None = None,
) -> dict[str, Any]:
    """Judge every gold response once (all sets in one run, so an LLM judge keeps its concurrency) and
    return the validation document: every figure per gold set and reading, the gold files, the judge.
    ``limit`` records the ``--limit`` the gold sets were cut to (``limited``), part of what a saved
    validation is keyed by."""
    inputs = [
        JudgeInput(item.doc_key, item.query, official_response(item.response))
        for gold in gold_sets
        for item in gold.items
    ]
    judged = judge.judge(inputs, progress=progress)
    sets = {}
    for gold in gold_sets:
        sets[gold.name] = {
            "title": gold.title or TITLES[gold.name],
            "source": gold.source,
            "files_sha256": gold.files,
            "rows": gold.rows,
            "left_out": sum(gold.left_out.values()),
            "left_out_by_label": gold.left_out,
            "n": len(gold.items),
            "models": sorted({item.model for item in gold.items}),
            "readings": {
                reading: reading_figures(
                    gold.items, judged, reading, resamples=resamples, seed=seed, weights=gold.weights
                )
                for reading in judge.readings
            },
            "human_ceiling": human_ceiling(gold, resamples=resamples, seed=seed),
            "weighted": gold.weights is not None,
            "superseded": gold.superseded,
            "withdrawn": gold.withdrawn,
        }
    return {
        "format": FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "judge": judge.name,
        "readings": list(judge.readings),
        "judge_settings": judged.settings.get("judge_settings"),
        "prompt_version": judged.settings.get("prompt_version"),
        "judge_identity": judged.settings.get("judge_identity"),
        "judge_stats": dict(judged.stats),
        "gold_mapping_version": MAPPING_VERSION,
        "limit": limit,
        "bootstrap": {"resamples": resamples, "seed": seed, "unit": "prompt"},
        "gold_sets": sets,
    }


def load_gold_sets(names: Sequence[str], xstest_dir: Path | None = None, *, limit: int | None = None) -> list[GoldSet]:
    """The named gold sets, converted (XSTest from ``xstest_dir``, else downloaded and checked)."""
    from vscbench_task.validation import download, gold

    sets = []
    for name in names:
        if name == "xstest":
            sets.append(gold.load_xstest(xstest_dir or download.ensure_downloaded()))
        elif name in gold.MSTS_FILES:
            sets.append(gold.load_msts(name))
        else:
            raise GoldSetError(f"unknown gold set {name!r}: choose from {', '.join(GOLD_SETS)}")
    return [limited(s, limit) for s in sets]


def shortfalls(document: dict[str, Any], *, min_kappa: float | None, max_sra_error: float | None) -> list[str]:
    """Where the judge's official reading falls short of the gates (empty: it passes)."""
    official = OFFICIAL_READING[document["judge"]]
    found = []
    for name, gold in document["gold_sets"].items():
        figures = gold["readings"][official]
        kappa = figures["kappa"]
        if min_kappa is not None and (kappa is None or math.isnan(kappa) or kappa < min_kappa):
            found.append(f"{name}: kappa {_shown(kappa)} is below --min-kappa {min_kappa:g}")
        for metric, errors in figures["sra_errors"].items():
            worst = errors["max_abs_error_points"]
            if max_sra_error is not None and (worst is None or math.isnan(worst) or worst > max_sra_error):
                found.append(
                    f"{name}: {metric} is off by {_shown(worst, '.1f')} points for {errors['max_error_model']}, "
                    f"over --max-sra-error {max_sra_error:g}"
                )
    return found


def _shown(value: float | None, spec: str = ".3f") -> str:
    return "undefined" if value is None or math.isnan(value) else format(value, spec)


def write(document: dict[str, Any], out: Path) -> dict[str, Path]:
    """``validation.json`` and ``validation.md`` in ``out``, each written whole or not at all."""
    from vscbench_task.validation.document import render

    json_file, markdown_file = OUTPUT_FILES
    return {
        "json": write_json(out / json_file, document),
        "markdown": write_text(out / markdown_file, render(document)),
    }
