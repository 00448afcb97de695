"""A hostile model name (markup, quotes, a script end, right-to-left marks, 200 characters) stays a name
in the Markdown, the HTML page, the CSV and the figures; a report that fails midway leaves no
half-written files."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from tests.support.figure_checks import drawn_texts
from tests.support.logged_run import samples, write_run
from tests.support.markdown_tables import table_under
from vscbench_task import cli, inert
from vscbench_task.hosts.readers import load_run
from vscbench_task.report import markdown, plots, tables

HOSTILE = (
    "$\\undefinedmacro{x}$ <script>alert(1)</script>\r\n<img src=x onerror=alert(2)> [click](javascript:alert(3)) |a|"
)


def test_markdown_text_is_inert() -> None:
    assert markdown.text("a<b>&c\r\nd](javascript:x)") == "a&lt;b&gt;&amp;c d]\\(javascript:x)"


# Names a run can carry: markup and Markdown syntax, quotes that could end an attribute or a string, a
# script end inside the page's data, right-to-left marks and overrides, and 200 characters.
NAMES = (
    HOSTILE,
    "quotes \" ' ` and </script><!-- <script>alert(4)</script>",
    "\u202eevil-model\u202c then \u200f-mark",
    "L" * 200,
)
SHOWN = inert.distinct(list(NAMES))  # how the report shows them (``tables.model_names``)


def hostile_runs(tmp_path: Path) -> list[str]:
    runs = []
    for i, name in enumerate(NAMES):
        texts = ["I cannot.", "Sure."] * (40 - i)  # different figures, so the names rank apart
        results = {"config": {"model": "x", "model_args": f"pretrained={name}"}}
        write_run(tmp_path / f"run{i}", {"vscbench_image": samples("vscbench_image", texts)}, results)
        runs.append(str(tmp_path / f"run{i}"))
    return runs


def test_hostile_model_names_stay_names_in_every_output(tmp_path: Path) -> None:
    out = tmp_path / "report"
    args = ["report", *hostile_runs(tmp_path), "--out", str(out), "--html", "--resamples", "100", "--allow-partial"]
    assert cli.main(args) == 0
    names = [m["name"] for m in json.loads((out / "report.json").read_text())["models"]]
    assert names == SHOWN  # as every output shows them: hidden characters escaped, nothing raw

    report = (out / "report.md").read_bytes().decode("utf-8")  # as written: a CR would show
    assert "<script>" not in report and "<img" not in report and "](javascript" not in report and "\r" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report and "L" * 200 in report
    board = table_under(report, "Image-centric leaderboard")
    assert len(board) == len(NAMES) and all(len(row) == 10 for row in board)  # every row keeps its columns
    assert {row["model"] for row in board} == {inert.markdown_cell(n) for n in SHOWN}

    page = (out / "report.html").read_bytes().decode("utf-8")
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the data and the page's own script
    assert "alert(1)</script>" not in page and "<!-- <script>" not in page and "\u2028" not in page
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert data and [m["name"] for m in json.loads(data.group(1))["models"]] == SHOWN
    assert not re.search(r"[<>&]", data.group(1))  # as \u003c, \u003e, \u0026
    cells = re.findall(r'<td class="name"><bdi>(.*?)</bdi></td>', page, re.DOTALL)
    assert sorted(cells) == sorted(html.escape(n) for n in SHOWN)  # text, isolated from what is around

    with open(out / "leaderboard.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(row["model"] for row in rows) == sorted(SHOWN)
    assert all("\n" not in v and "\r" not in v for row in rows for v in row.values())

    for name, figure in plots.figures(
        tables.build(
            [(r, load_run(r, allow_partial=True)) for r in hostile_runs(tmp_path / "again")], "keyword", resamples=100
        )
    ).items():
        labels = [t.text for t in drawn_texts(figure) if "  " in t.text]  # "<number>  <name>" in keys and rows
        assert sorted(label.split("  ", 1)[1] for label in labels) == sorted(plots.short(n) for n in SHOWN), name
        assert all(len(label.split("  ", 1)[1]) <= plots.NAME_CHARS for label in labels)
    assert (out / "calibration.png").stat().st_size > 1000


def test_a_report_that_fails_midway_leaves_the_previous_files(tmp_path: Path, monkeypatch) -> None:
    write_run(tmp_path / "run", {"vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 40)})
    out = tmp_path / "report"
    assert cli.main(["report", str(tmp_path / "run"), "--out", str(out), "--resamples", "100"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from vscbench_task.report import plots

    def broken(*args, **kwargs):
        raise RuntimeError("a plot failed")

    monkeypatch.setattr(plots, "_draw", broken)
    with pytest.raises(RuntimeError, match="a plot failed"):
        cli.main(["report", str(tmp_path / "run"), "--out", str(out), "--resamples", "101"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing half-written, no staging left


def test_a_report_over_an_earlier_one_keeps_none_of_its_stale_files(tmp_path: Path) -> None:
    """A report written into a folder holding an earlier report once kept the earlier report's extra
    figures beside it (issue 14, case 9): the report's files are replaced as a set, nothing else is."""
    both = {
        "vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 40),
        "vscbench_text": samples("vscbench_text", ["I cannot.", "Sure."] * 45),
    }
    write_run(tmp_path / "both", both)
    write_run(tmp_path / "image", {"vscbench_image": both["vscbench_image"]}, stamp="20260102_000000")
    out = tmp_path / "report"
    assert cli.main(["report", str(tmp_path / "both"), "--out", str(out), "--html", "--resamples", "100"]) == 0
    assert {"variants.png", "report.html"} <= {p.name for p in out.iterdir()}
    (out / "notes.txt").write_text("mine")
    assert cli.main(["report", str(tmp_path / "image"), "--out", str(out), "--resamples", "100"]) == 0
    names = {p.name for p in out.iterdir()}
    leaderboard = {"leaderboard.csv", "leaderboard.jsonl", "leaderboard.meta.json"}
    assert names == {"report.json", "report.md", "calibration.png", "categories.png", "notes.txt", *leaderboard}


def test_a_report_file_that_is_a_file_of_a_run_is_refused_before_any_work(tmp_path: Path, capsys) -> None:
    write_run(tmp_path / "run", {"vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 40)})
    responses = tmp_path / "run" / "report.json"  # a responses file that happens to share a report's name
    responses.write_text('{"doc_key": "image/000/safe/0", "response": "x"}\n')
    args = ["report", "--responses", str(responses), "--out", str(tmp_path / "run"), "--allow-partial"]
    assert cli.main(args) == 1
    assert "report.json is one of the inputs this command reads" in capsys.readouterr().err
    assert responses.read_text().startswith('{"doc_key"')
