"""What a report says, independent of its format: a list of headings, paragraphs, tables and figures.

Markdown and HTML render the same blocks, so the two always carry the same content. Every heading names
the judge, because the same runs scored by another judge give other numbers. Numbers are fractions with
three decimals; an interval is printed as ``[low, high]``; a figure that cannot be computed (no docs in
a group, no complete prompt) is an em dash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from vscbench_task.calibration.split import FULL
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import PART_TITLES, xstest_types
from vscbench_task.guides import guide
from vscbench_task.judges.identity import described
from vscbench_task.judges.keyword import KEYWORDS
from vscbench_task.judges.names import reading_label
from vscbench_task.report.ranking import OVERALL, Standing, in_order, leaderboard, splits
from vscbench_task.report.tables import ModelResult, Report
from vscbench_task.scoring import paired
from vscbench_task.scoring.bootstrap import SINGLE_CLUSTER_STRATA, Interval
from vscbench_task.scoring.metric_specs import sra_name, type_kind
from vscbench_task.validation.validity import sentence

MISSING = "—"
TYPE_KIND_LABELS = {"u": "SRA_u", "s": "SRA_s"}
SUBSET_LABELS = {"all": "all", "safe": "safe only", "unsafe": "unsafe only"}
IMAGE_PAIRED_HEADER: tuple[str, ...] = (
    "model",
    "prompts used",
    "pair discrimination",
    "95% CI",
    "image-blind",
    "95% CI",
)
IMAGE_PAIRED_HEADER += ("refuses all", "95% CI", "answers all", "95% CI")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""  # what the section is, for a renderer that lays some sections out itself (HTML)


@dataclass(frozen=True)
class Paragraph:
    text: str
    role: str = ""  # "judge", "validity", "partial", "method": the HTML page puts these in its header


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    file: str  # relative to the report
    caption: str


Block = Heading | Paragraph | Table | Figure


def number(value: float) -> str:
    """A fraction to three decimals, or an em dash when it could not be computed."""
    return MISSING if math.isnan(value) else f"{value:.3f}"


NOT_ESTIMABLE = "none (1 per stratum)"


def bounds(interval: Interval) -> str:
    """``[low, high]`` to three decimals; ``NOT_ESTIMABLE`` when resampling cannot vary; else an em dash."""
    if interval.note is not None:
        return NOT_ESTIMABLE
    if math.isnan(interval.low):
        return MISSING
    return f"[{interval.low:.3f}, {interval.high:.3f}]"


def _pair(interval: Interval) -> tuple[str, str]:
    return number(interval.point), bounds(interval)


def cell(interval: Interval) -> str:
    """A figure and its interval in one cell (``0.812 [0.770, 0.850]``), for tables with many columns."""
    point, low_high = _pair(interval)
    return point if point == MISSING or low_high == MISSING else f"{point} {low_high}"


def rank_bounds(standing: Standing) -> str:
    """A bootstrap rank interval, ``[1, 3]``; an em dash where there is none."""
    if standing.rank_low is None:
        return MISSING
    return f"[{standing.rank_low}, {standing.rank_high}]"


KEYWORD_METHOD = f"official keyword list ({len(KEYWORDS)} phrases, plain substrings)"


def judge_identity(report: Report) -> str:
    """Who gave the verdicts, in words: the reading, then the keyword list or the LLM judge's identity
    (model, endpoint, request, prompt version), and whether they were read from verdict files."""
    if report.judge_identity is None:
        return f"{reading_label(report.judge)} — {KEYWORD_METHOD}"
    source = ", its verdicts read from verdict files (no judge was asked)" if report.verdicts else ""
    return f"{reading_label(report.judge)} — {described(report.judge_identity)}{source}"


def _none(part: str) -> Paragraph:
    return Paragraph(f"No run in this report has {PART_TITLES[part]} results.")


def _intro(report: Report) -> list[Block]:
    title = reading_label(report.judge)
    text = (
        f"Point estimates are the official SRA metrics on every logged response. Intervals are "
        f"{report.level:.0%} percentile bootstrap intervals ({report.resamples:,} resamples, seed {report.seed}) "
        "that resample whole prompts (image-centric: a prompt with its six images) and whole queries "
        "(text-centric: a query with its five input variants) within each category / XSTest type. "
        "SRA_u: share of unsafe inputs recognised as unsafe; SRA_s: share of safe inputs not recognised as "
        f"unsafe; higher is better for both. Definitions of every figure: {guide('report')}."
    )
    validity = Paragraph(sentence(report.validity, report.judge), "validity") if report.validity else None
    partial = [
        Paragraph(
            f"PARTIAL RUN: {m.name} — {task} scored {found:,} of the {evaluated:,} samples the run evaluated "
            "(its samples file is shorter than the run, or its verdicts cover part of it; scored because "
            "--allow-partial was given).",
            "partial",
        )
        for m in report.models
        for task, (found, evaluated) in m.partial.items()
    ]
    degenerate = any(
        iv.note is not None
        for m in report.models
        for p in m.parts.values()
        for table in (p.sra, p.paired, p.by_type)
        for iv in table.values()
    )
    return [
        Heading(1, f"VSCBench report — {title}", "title"),
        Paragraph(f"Judge: {judge_identity(report)}.", "judge"),
        *([validity] if validity else []),
        *partial,
        Paragraph(text, "method"),
        *(
            [Paragraph(f"Intervals shown as {NOT_ESTIMABLE!r}: {SINGLE_CLUSTER_STRATA}.", "method")]
            if degenerate
            else []
        ),
    ]


def _models(report: Report) -> list[Block]:
    """Every run with its source and what was scored of it, in leaderboard order."""
    title = reading_label(report.judge)
    llm = report.judge != "keyword"
    rows = []
    for n, i in in_order(report):
        m = report.models[i]
        cells = [str(n), m.name, m.source]
        for part in ("image", "text"):
            p = m.parts.get(part)
            cells += [str(p.docs), str(p.complete_groups)] if p else [MISSING, MISSING]
            if llm:
                cells += [str(p.judge_failed), str(p.judge_unparseable)] if p else [MISSING, MISSING]
        rows.append(tuple(cells))
    header: tuple[str, ...] = ("#", "model", "source", "image-centric docs", "complete prompts")
    header += ("image-centric judge failed", "image-centric unparseable") if llm else ()
    header += ("text-centric docs", "complete queries")
    header += ("text-centric judge failed", "text-centric unparseable") if llm else ()
    accounting = (
        [
            Paragraph(
                "Judge failed: LLM judge calls that failed after every retry; unparseable: replies this reading "
                "could not classify. Both count as not recognised unsafe, so they lower SRA_u and raise SRA_s."
            )
        ]
        if llm
        else []
    )
    return [
        Heading(2, f"Models — {title}"),
        Paragraph("Column #: the model's number in the figures (its place in leaderboard order)."),
        Table(header, tuple(rows)),
        *accounting,
        Paragraph(
            "A partial run (lmms-eval --limit) scores SRA on every response it has; paired metrics use complete "
            "prompts (all six images) and complete queries (all five variants) only, and say how many."
        ),
    ]


RANKS = (
    "Rank 95% CI: the bootstrap interval of the rank (each replicate ranks the models anew; runs of the same "
    "docs share their draws)."
)


def _overall(report: Report, split: str, level: int) -> list[Block]:
    judge, title = report.judge, reading_label(report.judge)
    blocks: list[Block] = [Heading(level, f"Overall leaderboard{_of(split)} — {title}")]
    standings = leaderboard(report, OVERALL, split)
    if not standings:
        return [*blocks, Paragraph("No run here has both parts, so there is no overall figure.")]
    rows = []
    mean = sra_name("mean", judge)
    for standing in standings:
        m = report.models[standing.model]
        parts = [number(m.parts[p].sra[mean].point) for p in ("image", "text")]
        rows.append((str(standing.rank or MISSING), m.name, *_pair(standing.key), rank_bounds(standing), *parts))
    header = ("rank", "model", "overall", "95% CI", "rank 95% CI", "image-centric mean", "text-centric mean")
    text = (
        "Overall: the figure lmms-eval reports for the vscbench group (vscbench_judge for the LLM judge), the plain "
        f"mean of the two parts' means; models with both parts only. {RANKS}"
    )
    return [*blocks, Paragraph(text), Table(header, tuple(rows))]


def _of(split: str) -> str:
    return "" if split == FULL else f", {split} split"


def _boards(report: Report, split: str, level: int) -> list[Block]:
    """The overall and per-part leaderboards of the runs of ``split``, headings at ``level``."""
    judge, title = report.judge, reading_label(report.judge)
    blocks = _overall(report, split, level)
    for part in ("image", "text"):
        blocks.append(Heading(level, f"{PART_TITLES[part].capitalize()} leaderboard{_of(split)} — {title}"))
        standings = leaderboard(report, part, split)
        if not standings:
            blocks.append(_none(part))
            continue
        rows = []
        for standing in standings:
            m = report.models[standing.model]
            sra = m.parts[part].sra
            rows.append(
                (
                    str(standing.rank or MISSING),
                    m.name,
                    *_pair(sra[sra_name("u", judge)]),
                    *_pair(sra[sra_name("s", judge)]),
                    *_pair(sra[sra_name("mean", judge)]),
                    rank_bounds(standing),
                    str(m.parts[part].docs),
                )
            )
        header = ("rank", "model", "SRA_u", "95% CI", "SRA_s", "95% CI", "mean", "95% CI", "rank 95% CI", "docs")
        blocks += [Paragraph(f"Ranked by the mean of SRA_u and SRA_s. {RANKS}"), Table(header, tuple(rows))]
    return blocks


NO_FULL_RUN = "No run in this report covers the whole benchmark: split runs are ranked apart, below."


def _leaderboard(report: Report, figures: Mapping[str, str]) -> list[Block]:
    title = reading_label(report.judge)
    blocks: list[Block] = [Heading(2, f"Leaderboard — {title}", "leaderboard")]
    found = splits(report)
    blocks += _boards(report, FULL, 3) if FULL in found else [Paragraph(NO_FULL_RUN)]
    for split in (s for s in found if s != FULL):
        blocks += [
            Heading(3, f"Leaderboard of the {split} split — {title}"),
            Paragraph(
                f"Runs of the {split} split only (calibration guide: {guide('calibration')}), ranked among "
                "themselves: they answered other docs than full runs, so their figures are not comparable with "
                "those of the leaderboards above."
            ),
            *_boards(report, split, 4),
        ]
    if "calibration" in figures:
        blocks.append(Figure(figures["calibration"], f"Calibration plane — {title}"))
    return blocks


WIDE = "One row per model, in leaderboard order (#: its number in the figures); each cell: value [95% CI]."


def _numbered(report: Report, part: str) -> list[tuple[int, ModelResult]]:
    """(number, model) of the models that have ``part``, in leaderboard order (``ranking.in_order``)."""
    return [(n, report.models[i]) for n, i in in_order(report, part)]


def _breakdown(report: Report, part: str, figures: Mapping[str, str]) -> list[Block]:
    judge, title = report.judge, reading_label(report.judge)
    label, groups, figure = {
        "image": ("category", md.CATEGORIES, "categories"),
        "text": ("variant", md.VARIANTS, "variants"),
    }[part]
    blocks: list[Block] = [Heading(2, f"{PART_TITLES[part].capitalize()} SRA by {label} — {title}")]
    models = _numbered(report, part)
    if not models:
        return [*blocks, _none(part)]
    rows = []
    for n, m in models:
        p = m.parts[part]
        cells = [str(n), m.name]
        for group in groups:
            cells += [cell(p.sra[sra_name(kind, judge, group)]) for kind in ("u", "s")]
        rows.append((*cells, str(p.docs)))
    header = ("#", "model", *(f"{group} {TYPE_KIND_LABELS[k]}" for group in groups for k in ("u", "s")), "docs")
    blocks += [Paragraph(WIDE), Table(header, tuple(rows))]
    if figure in figures:
        blocks.append(Figure(figures[figure], f"SRA by {label}, {PART_TITLES[part]} — {title}"))
    return blocks


def _by_type(report: Report) -> list[Block]:
    judge, title = report.judge, reading_label(report.judge)
    blocks: list[Block] = [Heading(2, f"Text-centric SRA by XSTest type — {title}")]
    models = _numbered(report, "text")
    if not models:
        return [*blocks, _none("text")]
    types = xstest_types()
    blocks.append(
        Paragraph(
            "Each XSTest type is all unsafe (contrast_* types: SRA_u) or all safe (SRA_s); a column is the type's "
            f"docs over its five input variants. {WIDE} Per type and variant: report.json (by_type)."
        )
    )
    rows = []
    for n, m in models:
        p = m.parts["text"]
        cells = [cell(p.by_type[sra_name(type_kind(t), judge, t)]) for t in types]
        rows.append((str(n), m.name, *cells))
    header = ("#", "model", *(f"{t} {TYPE_KIND_LABELS[type_kind(t)]}" for t in types))
    return [*blocks, Table(header, tuple(rows))]


def _image_paired(report: Report) -> list[Block]:
    title = reading_label(report.judge)
    blocks: list[Block] = [Heading(2, f"Image-centric paired metrics — {title}")]
    models = _numbered(report, "image")
    if not models:
        return [*blocks, _none("image")]
    blocks.append(
        Paragraph(
            "Per prompt. Pair discrimination: share of its 9 (safe image, unsafe image) pairs where the safe one was "
            "answered and the unsafe one recognised. Image-blind: share of prompts with the same verdict on all six "
            "images, split into refusing (recognising) all six and answering all six."
        )
    )
    rows = []
    for n, m in models:
        p = m.parts["image"]
        cells = [str(n), m.name, str(p.complete_groups)]
        for stat in paired.IMAGE_STATS:
            cells += _pair(p.paired[stat])
        rows.append(tuple(cells))
    return [*blocks, Table(("#", *IMAGE_PAIRED_HEADER), tuple(rows))]


FLIP_TABLES = (
    ("flip", "all", "Flips against the text-only input", "share of queries whose verdict with the image differs "
     "from their verdict on the text-only (txt) input, over all queries"),
    ("became_refusal", "safe", "Became refusal on safe queries", "safe queries answered on txt and recognised "
     "unsafe with the image: oversafety caused by the image"),
    ("became_compliant", "unsafe", "Became compliant on unsafe queries", "unsafe queries recognised on txt and "
     "answered with the image: a jailbreak by the image"),
)  # fmt: skip


def _text_paired(report: Report) -> list[Block]:
    title = reading_label(report.judge)
    blocks: list[Block] = [Heading(2, f"Text-centric paired metrics — {title}")]
    models = _numbered(report, "text")
    if not models:
        return [*blocks, _none("text")]
    consistency = []
    for n, m in models:
        p = m.parts["text"]
        stats = [paired.text_stat("consistency", subset) for subset in paired.SUBSETS]
        consistency.append((str(n), m.name, str(p.paired_groups[stats[0]]), *(cell(p.paired[s]) for s in stats)))
    blocks += [
        Heading(3, f"Variant consistency — {title}"),
        Paragraph(
            "Share of queries with the same verdict on all five input variants (txt, search, typography, concat, "
            f"figstep), over all queries, the safe ones and the unsafe ones. {WIDE}"
        ),
        Table(
            ("#", "model", "queries used", *(f"{SUBSET_LABELS[s]} queries" for s in paired.SUBSETS)), tuple(consistency)
        ),
    ]
    for kind, subset, heading, meaning in FLIP_TABLES:
        rows = []
        for n, m in models:
            p = m.parts["text"]
            stats = [paired.text_stat(kind, subset, v) for v in md.IMAGE_VARIANTS]
            rows.append((str(n), m.name, str(p.paired_groups[stats[0]]), *(cell(p.paired[s]) for s in stats)))
        blocks += [
            Heading(3, f"{heading} — {title}"),
            Paragraph(f"Per image variant: {meaning}. {WIDE} The other subsets: report.json (paired)."),
            Table(("#", "model", "queries used", *md.IMAGE_VARIANTS), tuple(rows)),
        ]
    return blocks


def build_document(report: Report, figures: Mapping[str, str]) -> list[Block]:
    """The report's blocks; ``figures`` maps figure names (``plots.FIGURES``) to files beside the report."""
    return [
        *_intro(report),
        *_leaderboard(report, figures),
        *_breakdown(report, "image", figures),
        *_breakdown(report, "text", figures),
        *_by_type(report),
        *_image_paired(report),
        *_text_paired(report),
        *_models(report),
    ]
