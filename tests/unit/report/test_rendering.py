"""A hostile model name cannot get HTML, links or a broken table into the report, nor stop the plots; a
report that fails midway leaves no half-written files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.logged_run import samples, write_run
from vscbench_task import cli
from vscbench_task.inert import shown
from vscbench_task.report import markdown

HOSTILE = (
    "$\\undefinedmacro{x}$ <script>alert(1)</script>\r\n<img src=x onerror=alert(2)> [click](javascript:alert(3)) |a|"
)


def test_markdown_text_is_inert() -> None:
    assert markdown.text("a<b>&c\r\nd](javascript:x)") == "a&lt;b&gt;&amp;c d]\\(javascript:x)"


def test_a_hostile_model_name_is_reported_as_a_name(tmp_path: Path) -> None:
    results = {"config": {"model": "x", "model_args": f"pretrained={HOSTILE}"}}
    write_run(tmp_path / "run", {"vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 40)}, results)
    out = tmp_path / "report"
    assert cli.main(["report", str(tmp_path / "run"), "--out", str(out), "--html", "--resamples", "100"]) == 0
    report = (out / "report.md").read_text()
    assert "<script>" not in report and "<img" not in report and "](javascript" not in report and "\r" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    leaderboard = [line for line in report.splitlines() if "alert(1)" in line and line.startswith("| 1 |")]
    assert len(leaderboard) == 1 and leaderboard[0].count(" | ") == 9 - 1  # the table keeps its columns
    page = (out / "report.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert json.loads((out / "report.json").read_text())["models"][0]["name"] == shown(HOSTILE)  # no raw CR LF
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
    assert names == {"report.json", "report.md", "calibration.png", "categories.png", "notes.txt"}


def test_a_report_file_that_is_a_file_of_a_run_is_refused_before_any_work(tmp_path: Path, capsys) -> None:
    write_run(tmp_path / "run", {"vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 40)})
    responses = tmp_path / "run" / "report.json"  # a responses file that happens to share a report's name
    responses.write_text('{"doc_key": "image/000/safe/0", "response": "x"}\n')
    args = ["report", "--responses", str(responses), "--out", str(tmp_path / "run"), "--allow-partial"]
    assert cli.main(args) == 1
    assert "report.json is one of the inputs this command reads" in capsys.readouterr().err
    assert responses.read_text().startswith('{"doc_key"')
