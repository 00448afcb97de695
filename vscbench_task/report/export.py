"""The leaderboard as flat files a leaderboard can ingest: ``leaderboard.csv``, ``leaderboard.jsonl`` and
their sidecar ``leaderboard.meta.json``.

One row per model and board: ``overall`` (the figure lmms-eval reports for the ``vscbench`` group,
``vscbench_judge`` for the LLM judge: the plain mean of the two parts' ``sra_mean``; models with both
parts), then ``image`` and ``text``, each board's rows in its rank order. Every row carries the headline
figures with their intervals, the rank with its bootstrap rank interval, what was scored (docs,
completeness), where the run came from and who judged it (identity and validity), so a row can be
published on its own. The columns (``COLUMNS``) are stable: a new column is added at the end, none is
renamed or removed without a new ``SCHEMA_VERSION``; their meaning is in the report guide.

The sidecar holds what is the same for every row: the bootstrap's seed, resamples and level, the
schema and its version, the package versions, the judge's full validity record.

Both files are data: JSON Lines keeps each value as it is (the model's name exactly as the run wrote
it, numbers as numbers, ``null`` where a figure has nothing to compute it from); the CSV is written
for spreadsheets, so its text cells are one line (``inert.flat``) and a cell that a spreadsheet would
run as a formula starts with an apostrophe (``inert.spreadsheet_cell``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import vscbench_task
from vscbench_task.calibration.split import split_items
from vscbench_task.dataset.items import PARTS
from vscbench_task.hosts.task_names import reporting_task
from vscbench_task.inert import flat, spreadsheet_cell
from vscbench_task.judges.names import OFFICIAL_READINGS, judge_of
from vscbench_task.output_files import json_text, write_text
from vscbench_task.report.document import KEYWORD_METHOD, judge_identity
from vscbench_task.report.ranking import BOARDS, OVERALL, Standing, leaderboard, splits
from vscbench_task.report.tables import ModelResult, Report
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.metric_specs import sra_name
from vscbench_task.validation.validity import sentence

SCHEMA = "vscbench-leaderboard"
SCHEMA_VERSION = 1
FILES = {"csv": "leaderboard.csv", "jsonl": "leaderboard.jsonl", "meta": "leaderboard.meta.json"}
COLUMNS = (
    "model",
    "model_name",
    "run_sha256",
    "source",
    "host",
    "backend",
    "method",
    "method_settings",
    "split",
    "part",
    "task",
    "rank",
    "rank_low",
    "rank_high",
    "sra_u",
    "sra_u_low",
    "sra_u_high",
    "sra_s",
    "sra_s_low",
    "sra_s_high",
    "sra_mean",
    "sra_mean_low",
    "sra_mean_high",
    "docs",
    "docs_expected",
    "complete",
    "judge",
    "judge_official",
    "judge_method",
    "judge_model",
    "judge_endpoint",
    "judge_request",
    "judge_prompt_version",
    "judge_validated",
    "judge_min_kappa",
    "judge_validity",
    "judge_failed",
    "judge_unparseable",
    "verdicts_sha256",
)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _figure(name: str, interval: Interval | None) -> dict[str, float | None]:
    if interval is None:
        return {name: None, f"{name}_low": None, f"{name}_high": None}
    return {name: _number(interval.point), f"{name}_low": _number(interval.low), f"{name}_high": _number(interval.high)}


def _min_kappa(report: Report) -> float | None:
    """The lowest Cohen's kappa of this reading over the gold sets it was validated on (None: not validated)."""
    kappas = [
        gold[report.judge]["kappa"]
        for gold in report.validity.get("gold_sets", {}).values()
        if isinstance(gold.get(report.judge), dict) and isinstance(gold[report.judge].get("kappa"), (int, float))
    ]
    return min(kappas) if kappas else None


def _judge_columns(report: Report) -> dict[str, Any]:
    identity = report.judge_identity  # None: the keyword judge
    official_judge = identity is None or bool(identity.get("official_judge"))
    request = None if identity is None else identity.get("request")
    return {
        "judge": report.judge,
        "judge_official": report.judge in OFFICIAL_READINGS and official_judge,
        "judge_method": KEYWORD_METHOD if identity is None else None,
        "judge_model": None if identity is None else identity.get("model"),
        "judge_endpoint": None if identity is None else identity.get("endpoint"),
        "judge_request": None if request is None else json.dumps(request, sort_keys=True),
        "judge_prompt_version": None if identity is None else identity.get("prompt_version"),
        "judge_validated": bool(report.validity.get("validated")),
        "judge_min_kappa": _min_kappa(report),
        "judge_validity": sentence(report.validity, report.judge) if report.validity else None,
    }


def _row(report: Report, board: str, standing: Standing, judge: dict[str, Any]) -> dict[str, Any]:
    model: ModelResult = report.models[standing.model]
    run = model.run
    judge_name = judge_of(report.judge)
    row: dict[str, Any] = {
        "model": model.name,
        "model_name": run.get("model"),
        "run_sha256": run.get("sha256"),
        "source": model.source,
        "host": run.get("host"),
        "backend": run.get("backend"),
        "method": model.method.get("name"),
        "method_settings": json.dumps(model.method, sort_keys=True) if model.method else None,
        "split": model.split,
        "part": board,
        "rank": standing.rank,
        "rank_low": standing.rank_low,
        "rank_high": standing.rank_high,
    }
    if board == OVERALL:
        parts = [model.parts[p] for p in PARTS]
        docs = sum(p.docs for p in parts)
        expected = sum(len(split_items(p, model.split)) for p in PARTS)
        row |= {"task": reporting_task(None, judge_name, model.split, model.method.get("name"))}
        row |= {**_figure("sra_u", None), **_figure("sra_s", None)}
        row |= _figure("sra_mean", standing.key)
        failed = [p.judge_failed for p in parts]
        unparseable = [p.judge_unparseable for p in parts]
        tasks = [p.task for p in parts]
    else:
        part = model.parts[board]
        docs, expected = part.docs, len(split_items(board, model.split))
        row["task"] = reporting_task(board, judge_name, model.split, model.method.get("name"))
        row |= {
            k: v
            for kind in ("u", "s", "mean")
            for k, v in _figure(f"sra_{kind}", part.sra[sra_name(kind, report.judge)]).items()
        }
        failed, unparseable, tasks = [part.judge_failed], [part.judge_unparseable], [part.task]
    row["docs"], row["docs_expected"] = docs, expected
    row["complete"] = docs == expected and not any(task in model.partial for task in tasks)
    row |= judge
    row["judge_failed"] = None if None in failed else sum(f for f in failed if f is not None)
    row["judge_unparseable"] = None if None in unparseable else sum(u for u in unparseable if u is not None)
    row["verdicts_sha256"] = report.verdicts.get(model.name, {}).get("sha256")
    return {column: row.get(column) for column in COLUMNS}


def rows(report: Report) -> list[dict[str, Any]]:
    """Every row of the export: for the whole benchmark's runs, then for each other split's (never ranked
    together), the overall board, then each part's, each in rank order."""
    out = []
    for split in splits(report):
        for board in BOARDS:
            for standing in leaderboard(report, board, split):
                out.append(_row(report, board, standing, _judge_columns(report)))
    return out


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return spreadsheet_cell(flat(str(value)))


def csv_text(found: list[dict[str, Any]]) -> str:
    """The rows as CSV: a header of ``COLUMNS``, then one line per row, every text cell inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in found:
        writer.writerow([_csv_cell(row[column]) for column in COLUMNS])
    return buffer.getvalue()


def jsonl_text(found: list[dict[str, Any]]) -> str:
    """The rows as JSON Lines, values as they are (strict JSON: never a bare NaN)."""
    return "".join(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n" for row in found)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def meta(report: Report) -> dict[str, Any]:
    """The sidecar: what every row shares."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "columns": list(COLUMNS),
        "files": {"csv": FILES["csv"], "jsonl": FILES["jsonl"]},
        "judge": report.judge,
        "judge_identity": report.judge_identity,
        "judge_description": judge_identity(report),
        "validity": report.validity,
        "bootstrap": {"seed": report.seed, "resamples": report.resamples, "level": report.level},
        "versions": {
            "vscbench-task": vscbench_task.__version__,
            "python": platform.python_version(),
            "numpy": _version("numpy"),
            "lmms-eval": _version("lmms_eval"),
        },
        "models": len(report.models),
    }


def write(report: Report, folder: Path) -> dict[str, Path]:
    """Write the three files into ``folder``; returns them by kind."""
    found = rows(report)
    return {
        "csv": write_text(folder / FILES["csv"], csv_text(found)),
        "jsonl": write_text(folder / FILES["jsonl"], jsonl_text(found)),
        "meta": write_text(folder / FILES["meta"], json_text(meta(report))),
    }
