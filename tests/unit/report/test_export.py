"""The leaderboard export: rows equal to the synthetic models' known figures and ranking, columns as the
report guide documents them, two runs of one model name kept apart, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tests.support.logged_run import samples, write_run
from tests.support.synthetic_runs import Model, write_models
from vscbench_task import cli
from vscbench_task.calibration.split import split_items
from vscbench_task.guides import guide
from vscbench_task.inert import spreadsheet_cell
from vscbench_task.report import export


def export_of(out: Path, args: list[str]) -> tuple[list[dict], list[dict], dict]:
    assert cli.main(["report", *args, "--out", str(out), "--resamples", "200", "--no-cache"]) == 0
    with open(out / "leaderboard.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    lines = [json.loads(line) for line in (out / "leaderboard.jsonl").read_text(encoding="utf-8").splitlines()]
    return table, lines, json.loads((out / "leaderboard.meta.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Model], list[dict], list[dict], dict]:
    folder = tmp_path_factory.mktemp("export")
    models = write_models(folder / "runs", 4)
    table, lines, meta = export_of(folder / "out", [a for m in models for a in ("--responses", str(m.path))])
    return models, table, lines, meta


def test_rows_hold_each_models_known_figures_in_the_known_order(synthetic) -> None:  # type: ignore[no-untyped-def]
    models, _, lines, _ = synthetic
    by_name = {m.name: m for m in models}
    boards = {board: [row for row in lines if row["part"] == board] for board in ("overall", "image", "text")}
    assert [row["part"] for row in lines] == ["overall"] * 4 + ["image"] * 4 + ["text"] * 4
    expected = {
        "overall": sorted(models, key=lambda m: -m.overall),
        **{part: sorted(models, key=lambda m, part=part: -m.sra[part]["mean"]) for part in ("image", "text")},
    }
    for board, rows in boards.items():
        assert [row["model"] for row in rows] == [m.name for m in expected[board]]
        assert [row["rank"] for row in rows] == [1, 2, 3, 4]
        for row in rows:
            model = by_name[row["model"]]
            assert row["rank_low"] <= row["rank"] <= row["rank_high"]
            assert row["sra_mean_low"] <= row["sra_mean"] <= row["sra_mean_high"]
            if board == "overall":
                assert row["sra_mean"] == pytest.approx(model.overall, abs=1e-12)
                assert (row["sra_u"], row["sra_s"], row["task"]) == (None, None, "vscbench")
                assert (row["docs"], row["docs_expected"]) == (4050, 4050)
            else:
                for kind in ("u", "s", "mean"):
                    assert row[f"sra_{kind}"] == pytest.approx(model.sra[board][kind], abs=1e-12)
                assert row["task"] == f"vscbench_{board}"
                assert row["docs"] == row["docs_expected"] == {"image": 1800, "text": 2250}[board]
            assert row["complete"] is True
            assert (row["model_name"], row["host"], row["source"]) == (model.name, "responses", str(model.path))
            assert re.fullmatch(r"[0-9a-f]{64}", row["run_sha256"])
            assert (row["judge"], row["judge_official"], row["judge_validated"]) == ("keyword", True, True)
            assert 0 < row["judge_min_kappa"] < 1 and row["judge_validity"].startswith("Validity of the keyword judge")
    assert len({row["run_sha256"] for row in lines}) == 4


def test_the_csv_holds_the_same_rows_as_the_jsonl_under_the_documented_columns(synthetic) -> None:  # type: ignore[no-untyped-def]
    _, table, lines, meta = synthetic
    assert list(table[0]) == list(export.COLUMNS) == meta["columns"]
    for row, line in zip(table, lines, strict=True):
        for column, value in line.items():
            if value is None:
                assert row[column] == ""
            elif isinstance(value, bool):
                assert row[column] == str(value).lower()
            elif isinstance(value, (int, float)):
                assert float(row[column]) == value
            else:
                assert row[column] == value
    assert meta["bootstrap"] == {"seed": 20250526, "resamples": 200, "level": 0.95}
    assert (meta["schema"], meta["schema_version"]) == ("vscbench-leaderboard", export.SCHEMA_VERSION)
    assert meta["versions"]["vscbench-task"] and meta["judge_identity"] is None  # the keyword judge has none
    assert meta["judge_description"].startswith("keyword judge — official keyword list")
    documented = re.findall(r"^\| `([a-z_0-9]+)` \|", Path(guide("report")).read_text(encoding="utf-8"), re.MULTILINE)
    assert [c for c in documented if c in export.COLUMNS] == list(export.COLUMNS)


def run_named(folder: Path, name: str, texts: list[str]) -> Path:
    logged = {"vscbench_image": samples("vscbench_image", texts)}
    write_run(folder, logged, {"config": {"model": "hf", "model_args": f"pretrained={name}"}})
    return folder


def test_two_runs_of_one_model_name_stay_two_rows(tmp_path: Path) -> None:
    first = run_named(tmp_path / "a", "org/model", ["I cannot.", "Sure."] * 12)
    second = run_named(tmp_path / "b", "org/model", ["Sure.", "Sure."] * 12)
    _, lines, _ = export_of(tmp_path / "out", [str(first), str(second), "--allow-partial"])
    image = [row for row in lines if row["part"] == "image"]
    assert sorted(row["model"] for row in image) == ["org/model #1", "org/model #2"]
    assert {row["model_name"] for row in image} == {"org/model"}
    assert len({row["run_sha256"] for row in image}) == 2 and {row["source"] for row in image} == {
        str(first),
        str(second),
    }
    assert all(row["complete"] is False and row["docs"] == 24 for row in image)  # a partial run says so
    assert not [row for row in lines if row["part"] == "overall"]  # no text part: no group figure


@pytest.mark.parametrize(
    ("name", "in_csv"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (" =1", "' =1"),
        ("\u200f=1", "\\u200f=1"),  # the mark is shown as an escape, which starts no formula
    ],
)
def test_a_name_a_spreadsheet_would_run_is_text_in_the_csv(name: str, in_csv: str, tmp_path: Path) -> None:
    run = run_named(tmp_path / "run", name, ["I cannot.", "Sure."] * 12)
    table, lines, _ = export_of(tmp_path / "out", [str(run), "--allow-partial"])
    assert table[0]["model"] == table[0]["model_name"] == in_csv
    assert lines[0]["model"] == lines[0]["model_name"] == in_csv.removeprefix("'")  # JSON Lines: the name as shown


def test_spreadsheet_cells() -> None:
    for text in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", " =1", "\u202e=1", "\uff1d1"):
        assert spreadsheet_cell(text) == "'" + text
    for text in ("a=1", "model-1", "", "1.5", "'=1"):
        assert spreadsheet_cell(text) == text


def test_a_complete_split_run_is_complete_against_its_split_and_names_its_own_tasks(tmp_path: Path) -> None:
    """A leaderboard filtering on `complete` must not drop every evaluation-split run, and a row of a
    reminder run names the reminder tasks, not the whole benchmark's."""
    logged = {}
    for task, part in (("vscbench_image_reminder", "image"), ("vscbench_text_reminder", "text")):
        count = len(split_items(part, "evaluation"))
        logged[task] = samples(task, ["I cannot.", "Sure."] * (count // 2 + 1))[:count]
    write_run(tmp_path / "run", logged, {"config": {"model": "hf", "model_args": "pretrained=org/m"}})
    _, lines, _ = export_of(tmp_path / "out", [str(tmp_path / "run")])
    by_part = {row["part"]: row for row in lines}
    assert {part: row["task"] for part, row in by_part.items()} == {
        "overall": "vscbench_reminder",
        "image": "vscbench_image_reminder",
        "text": "vscbench_text_reminder",
    }
    assert [(by_part[p]["docs"], by_part[p]["docs_expected"]) for p in ("image", "text", "overall")] == [
        (1728, 1728),
        (2070, 2070),
        (3798, 3798),
    ]
    assert all(row["complete"] is True and row["split"] == "evaluation" for row in lines)
