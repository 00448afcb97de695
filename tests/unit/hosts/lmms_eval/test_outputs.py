"""Reading lmms-eval's output files without trusting them: only which item and the response are taken;
edited labels change nothing, unknown or mismatched ids and malformed fields are refused with the file and
line, a truncated samples file is refused unless partial runs are allowed, and a --predict_only run (no
records) is read by doc_id."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.support.judge_env import FAKE_KEY, judge_env
from tests.support.logged_run import STAMP, samples, write_run
from tests.support.stub_server import StubProcess
from vscbench_task import cli
from vscbench_task.dataset.items import items
from vscbench_task.hosts.lmms_eval.outputs import RunNotFound, load_run
from vscbench_task.rescore import rescore
from vscbench_task.scoring.records import RecordError

TEXTS = ["I cannot help.", "Sure, here.", "", "No, that is dangerous.", "Here you go.", "Fine."] * 4
RESULTS = {"results": {}, "n-samples": {"vscbench_image": {"original": 1800, "effective": len(TEXTS)}}}


def run_dir(tmp_path: Path, logged: list[dict], results: dict | None = None, name: str = "run") -> Path:
    write_run(tmp_path / name, {"vscbench_image": logged}, RESULTS if results is None else results)
    return tmp_path / name


def metrics_of(folder: Path) -> dict:
    return rescore(folder, "keyword", folder / "r.json", progress=False)["results"]["vscbench_image"]


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a if k != "alias"
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda record: record | {"unsafe": not record.get("unsafe", False)},  # flipped label
        lambda record: record | {"unsafe": float("nan"), "category": "religion", "part": "text"},
        lambda record: record | {"unsafe": "false", "row": "7"},  # string booleans
        lambda record: record | {"unsafe": False},  # an "all safe" file
        lambda record: record | {"keyword_judge": True, "empty_response": True},  # verdicts planted
    ],
    ids=["flipped", "nan-and-wrong-groups", "strings", "all-safe", "planted-verdicts"],
)
def test_edited_labels_and_verdicts_change_nothing(tmp_path: Path, edit) -> None:
    honest = samples("vscbench_image", TEXTS)
    edited = [{k: edit(v) if isinstance(v, dict) and "doc_key" in v else v for k, v in s.items()} for s in honest]
    assert json.dumps(edited) != json.dumps(honest)
    assert same(metrics_of(run_dir(tmp_path, edited, name="edited")), metrics_of(run_dir(tmp_path, honest)))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s | {"doc_id": 99999}, "doc_id 99999 is not an index of the 1,800 items of vscbench_image"),
        (lambda s: s | {"doc_id": "3"}, "doc_id '3' is not an index"),
        (lambda s: {**s, "sra_u_keyword_judge": {**s["sra_u_keyword_judge"], "doc_key": "image/299/unsafe/2"}},
         "the sample's metric records name different items"),
        (lambda s: {k: v | {"doc_key": "image/299/unsafe/2"} if isinstance(v, dict) and "doc_key" in v else v
                    for k, v in s.items()}, f"doc_id 2 is {items('image')[2].doc_key} in the benchmark's order"),
        (lambda s: {k: v | {"doc_key": "image/999/x"} if isinstance(v, dict) and "doc_key" in v else v
                    for k, v in s.items()}, "the benchmark's order, but the sample's records name 'image/999/x'"),
        (lambda s: s | {"filtered_resps": [17]}, "is a int, not text"),
        (lambda s: {k: v for k, v in s.items() if k not in ("filtered_resps", "resps")}, "holds no response"),
    ],
    ids=["id-out-of-range", "id-not-a-number", "records-disagree", "id-vs-key", "unknown-key", "wrong-type",
         "no-response"],
)  # fmt: skip
def test_malformed_samples_are_refused_with_the_file_and_line(tmp_path: Path, edit, message: str) -> None:
    logged = samples("vscbench_image", TEXTS)
    logged[2] = edit(logged[2])
    with pytest.raises(RecordError) as err:
        load_run(run_dir(tmp_path, logged))
    assert "_samples_vscbench_image.jsonl:3: " in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ([1, 2], "holds a JSON object, not a list"),
        ({"results": [], "n-samples": {}}, "field 'results' is a list, not an object"),
        ({"results": {"vscbench_image": 3}}, "results['vscbench_image'] is a int, not an object"),
        ({"config": "qwen"}, "field 'config' is a str, not an object"),
    ],
)
def test_a_malformed_results_file_is_refused_without_a_traceback(tmp_path: Path, results, message: str) -> None:
    folder = run_dir(tmp_path, samples("vscbench_image", TEXTS), results)
    with pytest.raises(RecordError, match=r"_results\.json: ") as err:
        load_run(folder)
    assert message in str(err.value)


def test_a_truncated_samples_file_is_refused_unless_partial_runs_are_allowed(tmp_path: Path, capsys) -> None:
    folder = run_dir(tmp_path, samples("vscbench_image", TEXTS)[:-1])  # the last line lost
    with pytest.raises(RecordError, match="holds 23 samples, but the run's results file says 24 were evaluated"):
        load_run(folder)
    assert cli.main(["rescore", str(folder), "--judge", "keyword"]) == 1
    assert "--allow-partial" in capsys.readouterr().err
    assert cli.main(["rescore", str(folder), "--judge", "keyword", "--allow-partial"]) == 0
    assert "PARTIAL: vscbench_image scored 23 of the 24 samples" in capsys.readouterr().out
    block = json.loads((folder / f"{STAMP}_rescore_keyword.json").read_text())["vscbench"]
    assert block["partial"] == {"vscbench_image": {"found": 23, "evaluated": 24}}
    assert cli.main(["report", str(folder), "--out", str(tmp_path / "r"), "--resamples", "100", "--allow-partial"]) == 0
    report = (tmp_path / "r" / "report.md").read_text()
    assert "PARTIAL RUN: " in report.split("\n## ")[0]  # at the top
    assert json.loads((tmp_path / "r" / "report.json").read_text())["models"][0]["partial"] == block["partial"]
    with pytest.raises(RecordError, match="holds 25 samples"):  # more than evaluated is never partial
        load_run(run_dir(tmp_path, samples("vscbench_image", [*TEXTS, "x"]), name="longer"))


def test_a_predict_only_run_is_read_by_doc_id(tmp_path: Path) -> None:
    """``--predict_only`` skips process_results: the samples carry no records, only doc_id and responses."""
    logged = [
        {k: v for k, v in s.items() if k in ("doc_id", "resps", "filtered_resps")}
        for s in samples("vscbench_image", TEXTS)
    ]
    read = load_run(run_dir(tmp_path, logged)).responses["vscbench_image"]
    assert [r.response for r in read] == TEXTS and [r.doc_key for r in read] == [i.doc_key for i in items("image")[:24]]
    assert same(metrics_of(tmp_path / "run"), metrics_of(run_dir(tmp_path, samples("vscbench_image", TEXTS), name="b")))


def test_outputs_that_cannot_be_written_are_refused_before_any_judge_call(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = run_dir(tmp_path, samples("vscbench_image", TEXTS))
    (tmp_path / "a-file").write_text("x")
    with StubProcess(tmp_path / "calls.jsonl", api_key=FAKE_KEY) as stub:
        for name, value in judge_env(stub, tmp_path / "c.sqlite3").items():
            monkeypatch.setenv(name, value)
        assert (
            cli.main(["rescore", str(folder), "--judge", "llm", "--output", str(tmp_path / "a-file" / "r.json")]) == 1
        )
        assert "a-file is a file, not a folder" in capsys.readouterr().err
        assert cli.main(["report", str(folder), "--judge", "llm", "--out", str(tmp_path / "a-file")]) == 1
        assert "is a file, not a folder; give a folder" in capsys.readouterr().err
        assert stub.calls() == []


def test_an_unknown_id_in_a_later_task_is_refused_before_any_judge_call(tmp_path: Path, monkeypatch, capsys) -> None:
    text = samples("vscbench_text_judge", ["Sure."] * 4)
    text[3]["doc_id"] = 5000
    results = {"n-samples": {"vscbench_image_judge": {"effective": 4}, "vscbench_text_judge": {"effective": 4}}}
    write_run(
        tmp_path / "run",
        {"vscbench_image_judge": samples("vscbench_image_judge", ["Sure."] * 4), "vscbench_text_judge": text},
        results,
    )
    with StubProcess(tmp_path / "calls.jsonl", api_key=FAKE_KEY) as stub:
        for name, value in judge_env(stub, tmp_path / "c.sqlite3").items():
            monkeypatch.setenv(name, value)
        assert cli.main(["rescore", str(tmp_path / "run"), "--judge", "llm"]) == 1
        assert stub.calls() == []
    assert "_samples_vscbench_text_judge.jsonl:4: doc_id 5000" in capsys.readouterr().err


def test_no_run_at_all(tmp_path: Path) -> None:
    with pytest.raises(RunNotFound, match="no such run"):
        load_run(tmp_path / "nowhere")


def test_a_task_evaluated_without_its_samples_file_is_refused_or_partial(tmp_path: Path, capsys) -> None:
    """A run whose results file says it evaluated 2,250 text docs, with the text samples file gone, once
    rescored to the image part alone with exit 0 (issue 14, case 5)."""
    logged = {"vscbench_image": samples("vscbench_image", TEXTS), "vscbench_text": samples("vscbench_text", TEXTS)}
    write_run(tmp_path / "run", logged)
    missing = tmp_path / "run" / f"{STAMP}_samples_vscbench_text.jsonl"
    missing.unlink()
    with pytest.raises(RecordError, match="says 24 docs of vscbench_text were evaluated") as err:
        load_run(tmp_path / "run")
    assert f"{missing} is missing" in str(err.value)
    assert cli.main(["rescore", str(tmp_path / "run"), "--judge", "keyword"]) == 1
    assert cli.main(["rescore", str(tmp_path / "run"), "--judge", "keyword", "--allow-partial"]) == 0
    assert "PARTIAL: vscbench_text scored 0 of the 24 samples the run evaluated" in capsys.readouterr().out
    assert load_run(tmp_path / "run", allow_partial=True).partial == {"vscbench_text": (0, 24)}


@pytest.mark.parametrize("where", ["samples", "results"])
def test_json_nested_too_deep_is_refused_with_a_message(tmp_path: Path, where: str) -> None:
    """100,000-deep nested JSON once ended in a RecursionError traceback (issue 14, case 10)."""
    folder = run_dir(tmp_path, samples("vscbench_image", TEXTS))
    deep = "[" * 100_000 + "]" * 100_000
    target = folder / (f"{STAMP}_samples_vscbench_image.jsonl" if where == "samples" else f"{STAMP}_results.json")
    target.write_text(target.read_text() + deep + "\n" if where == "samples" else deep)
    with pytest.raises(RecordError, match="nested too deep to read"):
        load_run(folder)
