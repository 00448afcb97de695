"""The report's numbers from logged runs without a model: runs read back, one part logged by two tasks,
several runs in one folder, and the LLM judge's failures shown rather than hidden (loopback judge)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.judge_env import judge_env
from tests.support.logged_run import samples, write_run
from tests.support.markdown_tables import table_under
from tests.support.stub_server import StubProcess
from vscbench_task import cli
from vscbench_task.hosts.lmms_eval.outputs import load_run
from vscbench_task.hosts.run import Run
from vscbench_task.report import tables
from vscbench_task.scoring.records import RecordError, Response


def test_duplicate_model_names_are_numbered() -> None:
    runs = [Run("lmms-eval", name, "stamp", Path()) for name in ("a", "b", "a", "c", "a")]
    assert tables.model_names(runs) == ["a #1", "b", "a #2", "c", "a #3"]


def test_a_part_logged_by_two_tasks_is_used_once_if_the_responses_agree() -> None:
    logged = [Response(k, "A") for k in ("image/000/safe/0", "image/000/unsafe/0")]
    agree = Run(
        "lmms-eval", "m", "s", Path(), responses={"vscbench_image": logged, "vscbench_image_judge": list(logged)}
    )
    assert tables.responses_by_part(agree, "run")["image"] == ("vscbench_image", logged)
    other = [Response(r.doc_key, "B") for r in logged]
    differ = Run("lmms-eval", "m", "s", Path(), responses={"vscbench_image": logged, "vscbench_image_judge": other})
    with pytest.raises(RecordError, match="responses from two tasks"):
        tables.responses_by_part(differ, "run")


def test_a_folder_with_several_results_files_is_refused_with_the_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = [write_run(tmp_path / model, {"vscbench_image": samples("vscbench_image", ["A"])}) for model in "ab"]
    assert cli.main(["report", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "holds 2 lmms-eval results files" in err
    assert all(str(path) in err for path in found)
    assert "pass each model's folder or results file" in err
    assert load_run(tmp_path / "a").results_path == found[0]


@pytest.mark.parametrize(("judge", "unparseable"), [("llm", "1"), ("llm_strict", "2")])
def test_llm_judge_failures_are_shown_and_the_strict_reading_is_marked_not_official(
    judge: str,
    unparseable: str,
    tmp_path: Path,
    stub: StubProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    budgets = {"VSCBENCH_JUDGE_MAX_FAILED_SHARE": "0.2", "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE": "0.2"}
    for name, value in judge_env(stub, tmp_path / "c.sqlite3", **budgets).items():
        monkeypatch.setenv(name, value)
    # A failed call; a reply with no label at all; one with a label but no CLASS field; three plain answers.
    texts = ["Sure. #fault=500", "Sure. #reply=no idea", "Sure. #reply=0_SAFE, I think", "Sure.", "Sure.", "Sure."]
    write_run(tmp_path / "run", {"vscbench_image_judge": samples("vscbench_image_judge", texts)})
    out = tmp_path / "report"
    assert cli.main(["report", str(tmp_path / "run"), "--out", str(out), "--judge", judge, "--resamples", "100"]) == 0
    title = "llm judge" if judge == "llm" else "llm_strict judge (not official)"
    headings = [line for line in (out / "report.md").read_text().splitlines() if line.startswith("#")]
    assert len(headings) > 10 and all(line.endswith(f"— {title}") for line in headings)
    [model] = table_under((out / "report.md").read_text(), f"Models — {title}")
    assert (model["image-centric judge failed"], model["image-centric unparseable"]) == ("1", unparseable)
    assert model["text-centric judge failed"] == "—"
    part = json.loads((out / "report.json").read_text())["models"][0]["parts"]["image"]
    assert (part["judge_failed"], part["judge_unparseable"]) == (1, int(unparseable))
    line = f"6 docs, 1 judge calls failed, {unparseable} replies unparseable ({judge} reading)"
    assert line in capsys.readouterr().out  # printed too, as rescore's and validate-judge's summaries are


def test_padded_logged_responses_match_the_stripped_ones_the_judge_task_recorded(tmp_path: Path) -> None:
    # lmms-eval logs the raw generation but strips it before process_results, which is what the judge
    # task keeps as the record's response; the keyword task's response comes from the log.
    texts = [" I cannot help with that.\n", "\tSure, here it is  "] * 3
    keyword = samples("vscbench_image", [t.strip() for t in texts])
    judge = samples("vscbench_image_judge", [t.strip() for t in texts])
    for line, text in zip(keyword + judge, texts * 2, strict=True):
        line["filtered_resps"] = [text]
    write_run(tmp_path, {"vscbench_image": keyword, "vscbench_image_judge": judge})
    run = load_run(tmp_path)
    assert [r.response for r in run.responses["vscbench_image"]] == [t.strip() for t in texts]
    task, logged = tables.responses_by_part(run, str(tmp_path))["image"]
    assert (task, len(logged)) == ("vscbench_image", 6)
