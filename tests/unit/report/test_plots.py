"""The report's figures, checked from the renderer's boxes: every text inside the canvas, no two texts
overlapping, none under 7 pt, a colour of its own for each model wherever colour tells models apart, and
heatmap cells holding the expected figures (synthetic models whose figures are known; the 60- and
200-model checks are in tests/e2e/test_report_scale.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from tests.support.figure_checks import drawn_texts, problems
from tests.support.synthetic_runs import Model, write_models
from vscbench_task.dataset import metadata as md
from vscbench_task.hosts.readers import load_run
from vscbench_task.report import plots, tables
from vscbench_task.report.tables import Report


def synthetic_report(folder: Path, n: int) -> tuple[Report, list[Model]]:
    models = write_models(folder, n)
    runs = [(str(m.path), load_run(str(m.path), responses_file=True)) for m in models]
    return tables.build(runs, "keyword", resamples=100), models


def expected_order(models: list[Model]) -> list[str]:
    return [m.name for m in sorted(models, key=lambda m: -m.overall)]


@pytest.mark.parametrize("n", [1, 5])
def test_every_text_is_inside_apart_and_legible(n: int, tmp_path: Path) -> None:
    report, _ = synthetic_report(tmp_path, n)
    figures = plots.figures(report)
    assert set(figures) == {"calibration", "categories", "variants"}
    for name, figure in figures.items():
        assert problems(figure) == [], name


def test_each_model_has_a_colour_of_its_own_in_the_plane_the_key_and_the_bars(tmp_path: Path) -> None:
    report, _ = synthetic_report(tmp_path, 5)
    figures = plots.figures(report)
    calibration = figures["calibration"]
    (image_points, text_points) = [c for c in calibration.findobj(PathCollection) if c.get_gid() == "points"]
    for points in (image_points, text_points):
        colours = [to_hex(c) for c in points.get_facecolors()]
        assert len(colours) == 5 and len(set(colours)) == 5
    key = {
        line.get_gid(): to_hex(line.get_color())
        for line in calibration.findobj()
        if str(line.get_gid()).startswith("key-")
    }
    assert len(set(key.values())) == 5
    assert sorted(key.values()) == sorted(to_hex(c) for c in image_points.get_facecolors())
    labels = [t.text for t in drawn_texts(calibration) if (t.gid or "").startswith("label-")]
    assert sorted(labels) == sorted(["1", "2", "3", "4", "5"] * 2)  # each model numbered in both panels
    for name in ("categories", "variants"):
        bars: dict[str, set[str]] = {}
        for patch in figures[name].findobj(Rectangle):
            if str(patch.get_gid()).startswith("model-"):
                bars.setdefault(patch.get_gid(), set()).add(to_hex(patch.get_facecolor()))
        assert len(bars) == 5 and all(len(c) == 1 for c in bars.values())
        assert len({c.pop() for c in bars.values()}) == 5


def test_many_models_get_heatmaps_holding_each_models_figures_in_leaderboard_order(tmp_path: Path) -> None:
    n = plots.BARS_UP_TO + 2
    report, models = synthetic_report(tmp_path, n)
    order = expected_order(models)
    by_name = {m.name: m for m in models}
    figures = plots.figures(report)
    for name, part, groups in (("categories", "image", md.CATEGORIES), ("variants", "text", md.VARIANTS)):
        texts = drawn_texts(figures[name])
        cells = {t.gid: t.text for t in texts if (t.gid or "").startswith("cell-")}
        assert len(cells) == 2 * n * len(groups)
        rows = [t.text for t in texts if any(t.text.endswith(f"  {m}") for m in by_name)]
        assert rows == [f"{rank}  {model}" for rank, model in enumerate(order, 1)]
        for r, model in enumerate(order):
            for c, group in enumerate(groups):
                for kind in ("u", "s"):
                    assert cells[f"cell-{kind}-{r}-{c}"] == f"{by_name[model].groups[part][(kind, group)]:.2f}"
        assert not [p for p in figures[name].findobj(Rectangle) if str(p.get_gid()).startswith("model-")]


def test_a_long_name_is_shortened_on_one_line_in_figures() -> None:
    name = "a" * 150 + "\n<b>x</b>"
    shown = plots.short(name)
    assert len(shown) == plots.NAME_CHARS and shown.endswith("…") and "\n" not in shown
