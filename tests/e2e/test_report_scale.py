"""``vscbench report`` at leaderboard scale: 200 synthetic models whose figures and ranking are known
(``tests.support.synthetic_runs``) give the known leaderboard and export; the figures at 60 and 200
models keep every text inside, apart and legible, with every model findable by its number; the page of
100 models stays under 1.5 MB."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from tests.support.figure_checks import drawn_texts, problems
from tests.support.synthetic_runs import Model, write_models
from vscbench_task import cli
from vscbench_task.hosts.readers import load_run
from vscbench_task.report import html, plots, tables
from vscbench_task.report.document import build_document
from vscbench_task.report.results_cache import ResultsCache
from vscbench_task.report.tables import Report

MODELS = 200
RESAMPLES = 500


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> list[Model]:
    return write_models(tmp_path_factory.mktemp("runs"), MODELS)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def out(models: list[Model], cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "out"
    args = ["report", *(a for m in models for a in ("--responses", str(m.path))), "--out", str(folder), "--html"]
    assert cli.main([*args, "--resamples", str(RESAMPLES), "--cache-dir", str(cache)]) == 0
    return folder


def report_of(models: list[Model], cache: Path) -> Report:
    """The report of ``models`` from the results the 200-model report kept (the same settings)."""
    runs = [(str(m.path), load_run(str(m.path), responses_file=True)) for m in models]
    found = ResultsCache(cache)
    report = tables.build(runs, "keyword", resamples=RESAMPLES, cache=found)
    assert found.misses == 0
    return report


def test_a_200_model_report_gives_the_known_leaderboard_in_every_file(out: Path, models: list[Model]) -> None:
    for name in ("report.md", "report.json", "report.html", "leaderboard.csv", "leaderboard.meta.json"):
        assert (out / name).stat().st_size > 0
    for name in ("calibration.png", "categories.png", "variants.png"):
        assert (out / name).stat().st_size > 10_000
    lines = [json.loads(line) for line in (out / "leaderboard.jsonl").read_text().splitlines()]
    assert len(lines) == 3 * MODELS
    expected = {
        "overall": sorted(models, key=lambda m: -m.overall),
        **{part: sorted(models, key=lambda m, part=part: -m.sra[part]["mean"]) for part in ("image", "text")},
    }
    for board, ranked in expected.items():
        rows = [row for row in lines if row["part"] == board]
        assert [row["model"] for row in rows] == [m.name for m in ranked]
        assert [row["rank"] for row in rows] == list(range(1, MODELS + 1))
        for row, model in zip(rows, ranked, strict=True):
            value = model.overall if board == "overall" else model.sra[board]["mean"]
            assert row["sra_mean"] == pytest.approx(value, abs=1e-12)
            assert row["rank_low"] <= row["rank"] <= row["rank_high"]
    lines = (out / "report.md").read_text().splitlines()
    tables = sum(line.startswith("|---") for line in lines)
    name = models[0].name  # one table per breakdown with a row per model, not tables per model
    assert tables == sum(line.startswith("| ") and f" {name} " in line for line in lines) <= 16


@pytest.mark.parametrize("count", [60, MODELS])
def test_figures_keep_every_text_inside_apart_and_legible_and_every_model_findable(
    count: int, out: Path, models: list[Model], cache: Path
) -> None:
    report = report_of(models[:count], cache)
    names = [m.name for m in report.models]
    for name, figure in plots.figures(report).items():
        assert problems(figure) == [], name
        texts = [t.text for t in drawn_texts(figure)]
        assert sorted(t.split("  ", 1)[1] for t in texts if "  " in t) == sorted(names), name  # key / rows
        if name == "calibration":
            labels = [t.text for t in drawn_texts(figure) if (t.gid or "").startswith("label-")]
            assert sorted(labels) == sorted([str(n) for n in range(1, count + 1)] * 2)  # every point, both panels
            for points in (c for c in figure.findobj(PathCollection) if c.get_gid() == "points"):
                assert len(np.unique(points.get_facecolors(), axis=0)) == 1  # numbers, not colours, tell them apart


def test_the_page_of_100_models_stays_under_one_and_a_half_megabytes(
    out: Path, models: list[Model], cache: Path
) -> None:
    report = report_of(models[:100], cache)
    figures = {name: plots.FILES[name] for name in plots.FIGURES}
    page = html.render(build_document(report, figures), report, out)
    assert len(page.encode("utf-8")) <= 1_500_000
    assert (out / "report.html").stat().st_size <= 2 * 1_500_000  # 200 models: about twice that of 100
