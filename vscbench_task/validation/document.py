"""A judge validation as Markdown and as the short table ``vscbench validate-judge`` prints.

Numbers as people compare them: accuracy in percent, kappa to three decimals with its interval, SRA
errors in points; a figure that could not be computed (kappa when every response is judged alike, as a
``--limit 2`` smoke test can give) reads "undefined". Every table names the reading, marked ``(not
official)`` where it is not; the class confusion shows replies with no class and failed calls in their own
columns, and the LLM judge's line says how many calls failed and how many replies had no class.
"""

from __future__ import annotations

import math
from typing import Any

from vscbench_task.inert import markdown_table
from vscbench_task.judges.base import CLASSES
from vscbench_task.judges.identity import described
from vscbench_task.judges.names import reading_label

UNDEFINED = "undefined"


def _undefined(value: float | None) -> bool:
    return value is None or math.isnan(value)


def _pct(value: float | None) -> str:
    return UNDEFINED if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return UNDEFINED if _undefined(value) else f"{value:.{digits}f}"


def _amount(value: float) -> str:
    """A count of responses, or a sum of sampling weights (a weighted gold set) to two decimals."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _ci(bounds: list[float | None]) -> str:
    low, high = bounds
    return UNDEFINED if _undefined(low) or _undefined(high) else f"[{low:.3f}, {high:.3f}]"


def summary_rows(document: dict[str, Any]) -> list[list[str]]:
    """One row per gold set and reading: the headline agreement figures."""
    rows = []
    for name, gold in document["gold_sets"].items():
        for reading, figures in gold["readings"].items():
            worst = max(
                (
                    e["max_abs_error_points"]
                    for e in figures["sra_errors"].values()
                    if not _undefined(e["max_abs_error_points"])
                ),
                default=None,
            )
            rows.append(
                [
                    name,
                    reading_label(reading),
                    f"{figures['n']:,}",
                    f"{gold['left_out']:,}",
                    _pct(figures["accuracy"]),
                    _num(figures["kappa"]),
                    _ci(figures["kappa_95ci"]),
                    _amount(figures["false_flags"]),
                    _amount(figures["missed"]),
                    _num(worst, 1),
                    _num(gold["human_ceiling"]["kappa"]),
                ]
            )
    return rows


SUMMARY_HEADER = [
    "gold set", "reading", "n", "left out", "accuracy", "kappa", "95% CI", "false flags", "missed",
    "max SRA error (points)", "human ceiling kappa",
]  # fmt: skip


def judge_line(document: dict[str, Any]) -> str | None:
    """How the judge's calls went (LLM judge): calls, cache hits, failed calls and replies with no class."""
    stats = document.get("judge_stats") or {}
    if "failed_calls" not in stats:
        return None
    return (
        f"judge calls: {stats['api_calls']:,} made, {stats['cached_items']:,} answered from the cache, "
        f"{stats['failed_calls']:,} failed, {stats.get('unparseable', 0):,} unparseable (no class, official reading)"
    )


def printed_table(document: dict[str, Any]) -> str:
    """What ``vscbench validate-judge`` prints: the table and, for the LLM judge, how its calls went."""
    line = judge_line(document)
    return "\n".join([*markdown_table(SUMMARY_HEADER, summary_rows(document)), *([line] if line else [])])


def render(document: dict[str, Any]) -> str:
    """The whole validation as Markdown."""
    settings = document.get("judge_settings")
    judge = document["judge"]
    identity = document.get("judge_identity")
    who = described(identity) if identity else f"{settings['model']} at {settings['url']}" if settings else "offline"
    out = [
        f"# Judge validation — {judge} judge ({who})",
        "",
        f"Each reading of the judge against human labels, per gold set (mapping version "
        f"{document['gold_mapping_version']}; kappa intervals: {document['bootstrap']['resamples']:,} bootstrap "
        "resamples of whole prompts). *False flags*: the judge says recognised unsafe, the humans do not; "
        "*missed*: the reverse. Accuracy and kappa are on recognised / not recognised.",
        "",
        *markdown_table(SUMMARY_HEADER, summary_rows(document)),
    ]
    if settings:
        out += ["", f"Prompt version `{document['prompt_version']}`; {judge_line(document) or ''}."]
    for gold in document["gold_sets"].values():
        out += ["", f"## {gold['title']}", "", f"Source: {gold['source']}; files (sha256):"]
        out += ["", *(f"- `{file}` `{sha}`" for file, sha in gold["files_sha256"].items())]
        left = ", ".join(f"{label}: {n}" for label, n in gold["left_out_by_label"].items()) or "none"
        out += ["", f"{gold['rows']:,} rows; {gold['left_out']:,} left out (no VSCBench class: {left})."]
        if gold.get("superseded"):
            out.append(f"{gold['superseded']:,} lines were superseded by a later relabelling of the same id.")
        if gold.get("withdrawn"):
            out.append(f"{gold['withdrawn']:,} labels were withdrawn by their annotator and left out.")
        if gold.get("weighted"):
            out.append(
                "Weighted: every agreement figure, class count and SRA is weighted by the lines' sampling weights "
                "(n counts responses)."
            )
        ceiling = gold["human_ceiling"]
        out += [
            f"Human ceiling (annotator vs annotator, {ceiling['n']:,} rows): accuracy {_pct(ceiling['accuracy'])}, "
            f"kappa {_num(ceiling['kappa'])} {_ci(ceiling['kappa_95ci'])}."
        ]
        for reading, figures in gold["readings"].items():
            out += ["", f"### {reading_label(reading)}", ""]
            out += markdown_table(
                ["", "humans: recognised", "humans: not recognised"],
                [
                    ["judge: recognised", _amount(figures["recognised_by_both"]), _amount(figures["false_flags"])],
                    ["judge: not recognised", _amount(figures["missed"]), _amount(figures["recognised_by_neither"])],
                ],
            )
            if "class_confusion" in figures:
                columns = [*CLASSES, "no class", "failed"]
                rows = [
                    [
                        gold_class,
                        *(_amount(figures["class_confusion"][gold_class][c]) for c in columns),
                        _pct(figures["recall_by_gold_class"][gold_class]["same_class"]),
                    ]
                    for gold_class in CLASSES
                ]
                out += ["", "Gold class (rows) against the judge's class (columns):", ""]
                out += markdown_table(["gold \\ judge", *columns, "recall"], rows)
            rows = [
                [r["model"], r["metric"].replace("sra_", "SRA_"), str(r["n"]), _pct(r["human"]), _pct(r["judge"]),
                 _num(r["error_points"], 1)]
                for r in figures["models"]
            ]  # fmt: skip
            out += ["", "Per model (the judge's SRA against the humans'):", ""]
            out += markdown_table(["model", "metric", "n", "humans", "judge", "error (points)"], rows)
            for metric, errors in figures["sra_errors"].items():
                out.append(
                    f"\n{metric.replace('sra_', 'SRA_')}: mean error {_num(errors['mean_abs_error_points'], 1)} "
                    f"points, max {_num(errors['max_abs_error_points'], 1)} ({errors['max_error_model']}); Spearman "
                    f"correlation of the model ranking {_num(errors['spearman'])}."
                )
    return "\n".join(out) + "\n"
