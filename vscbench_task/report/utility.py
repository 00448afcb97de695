"""Utility beside calibration: ``vscbench report --utility RUN=RESULTS_FILE:METRIC`` and the
calibration-utility plane.

A calibration method is only worth its gain if the model stays useful, so the report takes, per run, a
utility figure from any lmms-eval or lm-eval results file of a utility task (MMBench, MME, MM-Vet,
ScienceQA, ...) run with the same ``--model``, ``--model_args`` and method:

* ``RUN`` is the run's path as given to ``report`` (or the same path written another way), or its model
  name as the report shows it (a path or name may hold ``=``: the ``=`` before which a run is named and
  after which a results file exists is the one; two such readings are refused as ambiguous);
  ``RESULTS_FILE`` and ``METRIC`` are split at the **last** colon (a path may hold colons, a metric key
  does not); ``METRIC`` is ``task/metric,filter`` as the results file keys it
  (``results[task]["metric,filter"]``, lmms-eval's and lm-eval's shape);
* a results file that is not strict JSON (a key repeated: readers differ on which value wins), or without
  that metric, is refused, naming the metrics it has; so is a value that is not a finite number within
  ±1e12 (no score is larger, and a plane cannot be drawn for it), and the same metric given twice for one
  run; the stderr (``"metric_stderr,filter"``) is used when it is a number (both hosts write ``"N/A"``
  when they have none), and refused when negative or beyond 1e12.

The plane (``utility.png``): one panel per part and utility metric, each utility metric on its own x
axis in its own units; y is the part's SRA mean with its bootstrap interval; one point per run (model and
method), with ±1.96 stderr as the utility's interval where the file gives a stderr.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from vscbench_task.dataset.items import PART_TITLES, PARTS
from vscbench_task.errors import VSCBenchError
from vscbench_task.inert import flat
from vscbench_task.json_lines import loads
from vscbench_task.judges.names import reading_label
from vscbench_task.report.document import Block, Figure, Heading, Paragraph, Table, bounds, number
from vscbench_task.report.tables import Report
from vscbench_task.scoring.metric_specs import sra_name

FIGURE = "utility.png"
MAX_MAGNITUDE = 1e12  # beyond any score's scale; and matplotlib cannot lay out axes near the float limit
Z95 = 1.959964  # a stderr's normal 95% interval


class UtilityError(VSCBenchError):
    """A utility figure that cannot be used: a missing file or metric, a value that is not a number."""


@dataclass(frozen=True)
class UtilityRequest:
    """One ``--utility`` argument: which run, which results file, which metric."""

    run: str
    file: Path
    metric: str

    @property
    def task(self) -> str:
        return self.metric.split("/", 1)[0]

    def readings(self) -> list[UtilityRequest]:
        """Every way to read ``RUN=RESULTS_FILE`` when either holds ``=`` (the first ``=`` first)."""
        text = f"{self.run}={self.file}"
        at = [i for i, c in enumerate(text) if c == "=" and 0 < i < len(text) - 1]
        return [UtilityRequest(text[:i], Path(text[i + 1 :]), self.metric) for i in at]


def parse(text: str) -> UtilityRequest:
    """``RUN=RESULTS_FILE:METRIC`` (``ValueError`` saying what is missing)."""
    run, sep, rest = text.partition("=")
    file, colon, metric = rest.rpartition(":")
    task, slash, key = metric.partition("/")
    if not sep or not run or not colon or not file or not slash or not task or "," not in key:
        raise ValueError(
            f"--utility takes RUN=RESULTS_FILE:METRIC with METRIC as the results file keys it, task/metric,filter "
            f"(e.g. out/base/=out/base_mme/results.json:mme/mme_percetion_score,none); got {text!r}"
        )
    return UtilityRequest(run, Path(file), metric)


@dataclass(frozen=True)
class UtilityValue:
    """A utility figure read from a results file, for one run of the report."""

    model: int  # index into the report's models
    metric: str
    value: float
    stderr: float | None
    file: str


def _metrics(results: dict[str, Any]) -> list[str]:
    return sorted(
        f"{task}/{key}"
        for task, entry in results.items()
        if isinstance(entry, dict)
        for key in entry
        if "," in key and "_stderr" not in key.split(",", 1)[0]
    )


def read(request: UtilityRequest) -> tuple[float, float | None]:
    """The metric's value and stderr (``None``: the file gives none) from the results file."""
    try:
        document = loads(request.file.read_text(encoding="utf-8"), allow_nan=False)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise UtilityError(f"--utility: {request.file} is not a readable results file ({err})") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict):
        raise UtilityError(
            f"--utility: {request.file} has no results object: pass an lmms-eval or lm-eval results file"
        )
    task, key = request.metric.split("/", 1)
    entry = results.get(task)
    if not isinstance(entry, dict) or key not in entry:
        have = _metrics(results)
        listing = ", ".join(have[:40]) + (f" and {len(have) - 40} more" if len(have) > 40 else "")
        raise UtilityError(f"--utility: {request.file} has no metric {request.metric}; it has: {listing or 'none'}")
    value = _number(entry[key])
    if value is None:
        shown = repr(entry[key])[:40]
        raise UtilityError(
            f"--utility: {request.metric} in {request.file} is {shown}, not a finite number within ±{MAX_MAGNITUDE:g}"
        )
    name, _, filter_name = key.partition(",")
    given = entry.get(f"{name}_stderr,{filter_name}")
    if isinstance(given, str) or given is None:  # "N/A": the host has no stderr for it
        return value, None
    stderr = _number(given)
    if stderr is None or stderr < 0:
        raise UtilityError(
            f"--utility: {name}_stderr,{filter_name} in {request.file} is {repr(given)[:40]}: a stderr is a number "
            f'from 0 to {MAX_MAGNITUDE:g}, or "N/A"; correct the results file'
        )
    return value, stderr


def _number(value: object) -> float | None:
    """``value`` as a float when it is a number (not a boolean) within ±``MAX_MAGNITUDE``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        found = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return found if math.isfinite(found) and abs(found) <= MAX_MAGNITUDE else None


def _same_path(a: str, b: str) -> bool:
    return a == b or (Path(a).exists() and Path(b).exists() and Path(a).resolve() == Path(b).resolve())


def match(
    request: UtilityRequest, sources: Sequence[str], names: Sequence[str], models: Sequence[str]
) -> tuple[int, UtilityRequest]:
    """The index of the run ``request`` names, and the request read that way (``readings``): by path first,
    then by the name the report shows, then by the model's own name (when one run has it). Of the readings
    that name a run, those whose results file exists are preferred; more than one left is refused as
    ambiguous (runs ``a`` and ``a=b`` beside each other)."""
    known = "; ".join(f"{source} ({name})" for source, name in zip(sources, names, strict=True))
    named: list[tuple[int, UtilityRequest]] = []
    for reading in request.readings():
        found = [i for i, source in enumerate(sources) if _same_path(reading.run, source)]
        found = found or [i for i, name in enumerate(names) if name == reading.run]
        found = found or [i for i, model in enumerate(models) if model == reading.run]
        if len(found) > 1:
            raise UtilityError(
                f"--utility: {reading.run!r} names several runs: name a run by its path or model name ({known})"
            )
        named += [(found[0], reading)] if found else []
    existing = [(index, reading) for index, reading in named if reading.file.is_file()]
    chosen = existing or named
    if len(chosen) > 1:
        shown = " or ".join(f"{reading.run} = {reading.file}" for _, reading in chosen)
        raise UtilityError(f"--utility: {request.run}={request.file} can be read as {shown}: rename one of the paths")
    if not chosen:
        raise UtilityError(
            f"--utility: {request.run!r} is none of the report's runs: name a run by its path or model name ({known})"
        )
    return chosen[0]


def values(
    requests: Sequence[UtilityRequest], sources: Sequence[str], names: Sequence[str], models: Sequence[str]
) -> list[UtilityValue]:
    """Every ``--utility`` figure, checked (before any scoring, so a typo costs nothing)."""
    found: list[UtilityValue] = []
    for request in requests:
        index, reading = match(request, sources, names, models)
        if any(v.model == index and v.metric == reading.metric for v in found):
            raise UtilityError(
                f"--utility: {reading.metric} is given twice for the run {sources[index]} ({names[index]}): give "
                "each run one figure per utility metric"
            )
        value, stderr = read(reading)
        found.append(UtilityValue(index, reading.metric, value, stderr, str(reading.file)))
    return found


def to_json(found: Sequence[UtilityValue], report: Report) -> list[dict[str, Any]]:
    return [
        {"model": report.models[v.model].name, "metric": v.metric, "value": v.value, "stderr": v.stderr, "file": v.file}
        for v in found
    ]


def blocks(found: Sequence[UtilityValue], report: Report, figure: str) -> list[Block]:
    title = reading_label(report.judge)
    mean = sra_name("mean", report.judge)
    rows = []
    for v in found:
        m = report.models[v.model]
        cells = [m.name, v.metric, f"{v.value:.4g}", "—" if v.stderr is None else f"{v.stderr:.3g}"]
        for part in PARTS:
            iv = m.parts[part].sra[mean] if part in m.parts else None
            cells += ["—", "—"] if iv is None else [number(iv.point), bounds(iv)]
        rows.append(tuple(cells))
    header = ("model", "utility metric", "value", "stderr", "image SRA mean", "95% CI", "text SRA mean", "95% CI")
    return [
        Heading(2, f"Calibration against utility — {title}"),
        Paragraph(
            "Utility figures from the results files given with --utility, each from a utility task run with the same "
            "model, model arguments and method as the VSCBench run it is paired with (the report cannot check that: "
            "it takes the pairing as given). Each utility metric is on its own axis in its own units; its interval "
            "is ±1.96 stderr where the results file gives a stderr."
        ),
        Table(header, tuple(rows)),
        Figure(figure, f"Calibration-utility plane — {title}"),
    ]


def draw(found: Sequence[UtilityValue], report: Report, path: Path) -> None:
    """Write ``utility.png`` (``plane``)."""
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = plane(found, report)
        FigureCanvasAgg(fig)
        fig.savefig(path, dpi=100)


def plane(found: Sequence[UtilityValue], report: Report) -> MplFigure:
    """The calibration-utility plane (see the module): rows are parts, columns utility metrics."""
    metrics = list(dict.fromkeys(v.metric for v in found))
    parts = [p for p in PARTS if any(p in report.models[v.model].parts for v in found)]
    mean = sra_name("mean", report.judge)
    fig = MplFigure(figsize=(5.0 * len(metrics) + 2.5, 4.0 * max(len(parts), 1)), layout="constrained")
    axes = fig.subplots(max(len(parts), 1), len(metrics), squeeze=False)
    for row, part in enumerate(parts):
        for col, metric in enumerate(metrics):
            ax = axes[row][col]
            for v in found:
                model = report.models[v.model]
                if v.metric != metric or part not in model.parts:
                    continue
                iv = model.parts[part].sra[mean]
                yerr = [[0.0 if math.isnan(iv.low) else max(iv.point - iv.low, 0.0)],
                        [0.0 if math.isnan(iv.high) else max(iv.high - iv.point, 0.0)]]  # fmt: skip
                xerr = None if v.stderr is None else [[Z95 * v.stderr], [Z95 * v.stderr]]
                ax.errorbar([v.value], [iv.point], xerr=xerr, yerr=yerr, fmt="o", capsize=4,
                            color=f"C{v.model % 10}", label=flat(model.name))  # fmt: skip
            ax.set(xlabel=flat(metric), ylabel=f"{PART_TITLES[part]} SRA mean", title=PART_TITLES[part])
            ax.grid(alpha=0.3)
    handles: dict[str, Any] = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside right upper", fontsize=8)
    return fig
