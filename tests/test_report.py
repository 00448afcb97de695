"""``vscbench report`` on real lmms-eval outputs: one ``--model dummy`` run of both tasks (``--limit 120``)
plus two copies of it, one renamed and one under the same name, make a three-row leaderboard. The
numbers in the Markdown must equal those lmms-eval itself wrote to its results file."""

from __future__ import annotations

import base64
import io
import json
import math
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import results_file, run_lmms_eval
from vscbench_task import cli, judging
from vscbench_task import metadata as md
from vscbench_task.docs import docs_for
from vscbench_task.llm_judge import prompt
from vscbench_task.llm_judge.judge import Judgement, JudgeRun
from vscbench_task.lmms_outputs import Run, load_run
from vscbench_task.records import make_record
from vscbench_task.report import tables

LIMIT = 120
PNG_SIZES = {"calibration.png": (1200, 700), "categories.png": (1200, 800), "variants.png": (1200, 800)}
TASKS = {"image": "vscbench_image", "text": "vscbench_text"}


@pytest.fixture(scope="session")
def run_dirs(prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The real run, a copy renamed ``dummy-copy`` (model fields of its results file edited), a plain copy."""
    base = tmp_path_factory.mktemp("report-runs")
    original = base / "dummy"
    args = ["--model", "dummy", "--tasks", "vscbench_image,vscbench_text", "--limit", str(LIMIT)]
    done = run_lmms_eval(args, prepared_dir, original)
    results = results_file(original)  # lmms-eval exits 0 on failure: the file is the evidence
    assert len(list(results.parent.glob("*_samples_vscbench_*.jsonl"))) == 2, done.stderr[-3000:]
    renamed, same = base / "renamed", base / "same-name"
    shutil.copytree(results.parent, renamed)
    shutil.copytree(results.parent, same)
    copied = renamed / results.name
    data = json.loads(copied.read_text())
    data["config"]["model_args"] = "pretrained=dummy-copy"
    data["model_name"] = "dummy-copy"
    copied.write_text(json.dumps(data))
    return [original, renamed, same]


@pytest.fixture(scope="session")
def report_dir(run_dirs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    assert cli.main(["report", *map(str, run_dirs), "--out", str(out), "--html", "--resamples", "200"]) == 0
    return out


def table_under(markdown: str, heading: str) -> list[dict[str, str]]:
    """Rows (header -> cell) of the first table after the heading line starting with ``heading``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and line.lstrip("# ").startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    header, _, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def lmms_metrics(run_dir: Path, part: str) -> dict[str, float]:
    """The metrics lmms-eval reported for a part's task, without its ``,none`` filter suffix."""
    values = json.loads(results_file(run_dir).read_text())["results"][TASKS[part]]
    return {k.removesuffix(",none"): v for k, v in values.items() if isinstance(v, float)}


def printed(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def test_report_files_exist_with_the_expected_figure_sizes(report_dir: Path) -> None:
    for name in ("report.md", "report.json", "report.html"):
        assert (report_dir / name).stat().st_size > 0
    for name, size in PNG_SIZES.items():
        with Image.open(report_dir / name) as image:
            assert image.format == "PNG"
            assert image.size == size
            assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 10  # something was drawn


def test_leaderboard_and_breakdowns_equal_lmms_eval_results(report_dir: Path, run_dirs: list[Path]) -> None:
    markdown = (report_dir / "report.md").read_text()
    names = {"dummy #1": run_dirs[0], "dummy-copy": run_dirs[1], "dummy #2": run_dirs[2]}
    for part, title in (("image", "Image-centric"), ("text", "Text-centric")):
        board = table_under(markdown, f"{title} leaderboard — keyword judge")
        assert sorted(row["model"] for row in board) == sorted(names)
        for row in board:
            expected = lmms_metrics(names[row["model"]], part)
            assert row["SRA_u"] == printed(expected["sra_u_keyword_judge"])
            assert row["SRA_s"] == printed(expected["sra_s_keyword_judge"])
            assert row["mean"] == printed(expected["sra_mean_keyword_judge"])
        label, groups = ("category", md.CATEGORIES) if part == "image" else ("variant", md.VARIANTS)
        breakdown = table_under(markdown, f"{title} SRA by {label} — keyword judge")
        assert len(breakdown) == len(groups) * len(names)
        for row in breakdown:
            expected = lmms_metrics(names[row["model"]], part)
            assert row["SRA_u"] == printed(expected[f"sra_u_keyword_judge_{row[label]}"])
            assert row["SRA_s"] == printed(expected[f"sra_s_keyword_judge_{row[label]}"])


def test_json_points_equal_lmms_eval_results(report_dir: Path, run_dirs: list[Path]) -> None:
    report = json.loads((report_dir / "report.json").read_text())
    assert (report["judge"], report["resamples"], report["seed"]) == ("keyword", 200, 20250526)
    assert [m["name"] for m in report["models"]] == ["dummy #1", "dummy-copy", "dummy #2"]
    for model, run_dir in zip(report["models"], run_dirs, strict=True):
        for part in ("image", "text"):
            expected = lmms_metrics(run_dir, part)
            sra = model["parts"][part]["sra"]
            assert sra.keys() <= expected.keys()
            for name, interval in sra.items():
                assert interval["point"] == pytest.approx(expected[name], abs=1e-12)
                assert interval["low"] <= interval["point"] <= interval["high"]


def test_paired_metrics_use_the_complete_groups_of_the_logged_samples(report_dir: Path, run_dirs: list[Path]) -> None:
    per_row: dict[str, Counter] = {"image": Counter(), "text": Counter()}
    for samples in results_file(run_dirs[0]).parent.glob("*_samples_vscbench_*.jsonl"):
        for line in samples.read_text().splitlines():
            part, row = json.loads(line)["sra_u_keyword_judge"]["doc_key"].split("/")[:2]
            per_row[part][row] += 1
    complete_prompts = sum(n == 6 for n in per_row["image"].values())
    complete_queries = sum(n == 5 for n in per_row["text"].values())
    assert 0 < complete_prompts < len(per_row["image"])  # the --limit run really is partial
    markdown = (report_dir / "report.md").read_text()
    models = {row["model"]: row for row in table_under(markdown, "Models — keyword judge")}
    assert models["dummy-copy"]["complete prompts"] == str(complete_prompts)
    assert models["dummy-copy"]["complete queries"] == str(complete_queries)
    image = {row["model"]: row for row in table_under(markdown, "Image-centric paired metrics — keyword judge")}
    # The dummy model answers "A" to everything: it never recognises anything, whatever the image.
    assert image["dummy #1"]["prompts used"] == str(complete_prompts)
    assert image["dummy #1"]["pair discrimination"] == "0.000"
    assert image["dummy #1"]["answers all"] == "1.000"
    flips = table_under(markdown, "Flips against the text-only input — keyword judge")
    assert len(flips) == 3 * len(md.IMAGE_VARIANTS) * 3
    assert {row["flip"] for row in flips if row["queries"] == "all"} == {"0.000"}
    consistency = table_under(markdown, "Variant consistency — keyword judge")
    assert {row["consistency"] for row in consistency if row["queries"] == "all"} == {"1.000"}


def test_every_heading_names_the_judge(report_dir: Path) -> None:
    headings = [line for line in (report_dir / "report.md").read_text().splitlines() if line.startswith("#")]
    assert len(headings) > 10
    assert all(line.endswith("— keyword judge") for line in headings)


def test_html_is_self_contained_with_the_same_figures(report_dir: Path) -> None:
    page = (report_dir / "report.html").read_text()
    assert not re.search(r'src="(?!data:)', page)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(PNG_SIZES)
    sizes = sorted(Image.open(io.BytesIO(base64.b64decode(data))).size for data in images)
    assert sizes == sorted(PNG_SIZES.values())
    assert "<th>pair discrimination</th>" in page
    assert "dummy-copy" in page


def test_bad_runs_and_options_are_refused_with_a_reason(
    tmp_path: Path, run_dirs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]) == 2
    assert "no such run: " in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r")]) == 2
    assert "no lmms-eval results file" in capsys.readouterr().err
    assert cli.main(["report", str(run_dirs[0]), "--out", str(tmp_path / "r"), "--judge", "oracle"]) == 2
    assert "unknown judge 'oracle'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["report", str(run_dirs[0]), "--out", str(tmp_path / "r"), "--resamples", "0"])
    assert exit_info.value.code == 2
    assert "--resamples must be at least 1" in capsys.readouterr().err


def test_duplicate_model_names_are_numbered() -> None:
    runs = [Run(None, {"config": {"model_args": f"pretrained={name}"}}) for name in ("a", "b", "a", "c", "a")]
    assert tables.model_names(runs) == ["a #1", "b", "a #2", "c", "a #3"]


def test_a_part_logged_by_two_tasks_is_used_once_if_the_responses_agree() -> None:
    records = [{**make_record(d, "A", keep_response=False), "response": "A"} for d in docs_for("image")[:12]]
    agree = Run(None, {}, {"vscbench_image": records, "vscbench_image_judge": [dict(r) for r in records]})
    assert tables.records_by_part(agree, "run")["image"] == ("vscbench_image", records)
    differ = Run(
        None, {}, {"vscbench_image": records, "vscbench_image_judge": [{**r, "response": "B"} for r in records]}
    )
    with pytest.raises(ValueError, match="responses from two tasks"):
        tables.records_by_part(differ, "run")


def write_run(folder: Path, samples: dict[str, list[dict]], stamp: str = "20260101_000000") -> Path:
    """A minimal lmms-eval output in ``folder``: an empty results file and one samples file per task."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stamp}_results.json").write_text("{}")
    for task, task_samples in samples.items():
        lines = "\n".join(json.dumps(sample) for sample in task_samples)
        (folder / f"{stamp}_samples_{task}.jsonl").write_text(lines + "\n")
    return folder / f"{stamp}_results.json"


def test_a_folder_with_several_results_files_is_refused_with_the_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = [
        {"filtered_resps": ["A"], "sra_u_keyword_judge": make_record(docs_for("image")[0], "A", keep_response=False)}
    ]
    found = [write_run(tmp_path / model, {"vscbench_image": samples}) for model in ("model-a", "model-b")]
    assert cli.main(["report", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "holds 2 lmms-eval results files" in err
    assert all(str(path) in err for path in found)
    assert "pass each model's folder or results file" in err
    assert load_run(tmp_path / "model-a").results_path == found[0]


@pytest.mark.parametrize(("judge", "unparseable"), [("llm", "1"), ("llm_strict", "2")])
def test_llm_judge_failures_are_shown_and_the_strict_reading_is_marked_not_official(
    judge: str, unparseable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = docs_for("image")[:6]
    replies = {0: None, 1: "no idea", 2: "0_SAFE, I think"}  # failed; no label at all; a label but no CLASS field
    samples = [
        {"filtered_resps": ["Sure."], "sra_u_llm_judge": make_record(doc, "Sure.", keep_response=True)} for doc in docs
    ]

    def fake_judge(records: list[dict], settings: object) -> JudgeRun:
        judgements = {}
        for i, r in enumerate(records):
            reply = replies.get(i, "CLASS: 2_UNSAFE; EXPLANATION: complied.")
            judgements[r["doc_key"]] = Judgement(
                r["doc_key"],
                reply or "",
                official_class=None if reply is None else prompt.official_class(reply),
                strict_class=None if reply is None else prompt.strict_class(reply, r["response"]),
                failed=reply is None,
                cached=False,
            )
        return JudgeRun(judgements, api_calls=len(records), cached_items=0, failed_items=1)

    monkeypatch.setattr(judging, "judge_records", fake_judge)
    monkeypatch.setattr(judging, "from_env", lambda: None)
    write_run(tmp_path / "run", {"vscbench_image_judge": samples})
    out = tmp_path / "report"
    assert cli.main(["report", str(tmp_path / "run"), "--out", str(out), "--judge", judge, "--resamples", "20"]) == 0
    title = "llm judge" if judge == "llm" else "llm_strict judge (not official)"
    headings = [line for line in (out / "report.md").read_text().splitlines() if line.startswith("#")]
    assert all(line.endswith(f"— {title}") for line in headings)
    [model] = table_under((out / "report.md").read_text(), f"Models — {title}")
    assert (model["image-centric judge failed"], model["image-centric unparseable"]) == ("1", unparseable)
    assert model["text-centric judge failed"] == "—"
    part = json.loads((out / "report.json").read_text())["models"][0]["parts"]["image"]
    assert (part["judge_failed"], part["judge_unparseable"]) == (1, int(unparseable))


def test_padded_logged_responses_match_the_stripped_ones_the_judge_task_recorded(tmp_path: Path) -> None:
    # lmms-eval logs the raw generation but strips it before process_results, which is what the judge
    # task keeps as the record's response; the keyword task's response comes from the log.
    docs = docs_for("image")[:6]
    texts = [" I cannot help with that.\n", "\tSure, here it is  "] * 3
    keyword = [
        {"filtered_resps": [text], "sra_u_keyword_judge": make_record(doc, text.strip(), keep_response=False)}
        for doc, text in zip(docs, texts, strict=True)
    ]
    judge = [
        {"filtered_resps": [text], "sra_u_llm_judge": make_record(doc, text.strip(), keep_response=True)}
        for doc, text in zip(docs, texts, strict=True)
    ]
    write_run(tmp_path, {"vscbench_image": keyword, "vscbench_image_judge": judge})
    run = load_run(tmp_path)
    assert [r["response"] for r in run.records["vscbench_image"]] == [t.strip() for t in texts]
    task, records = tables.records_by_part(run, str(tmp_path))["image"]
    assert (task, len(records)) == ("vscbench_image", 6)


def test_a_run_with_one_part_reports_the_other_as_absent(run_dirs: list[Path], tmp_path: Path) -> None:
    samples = next(results_file(run_dirs[0]).parent.glob("*_samples_vscbench_image.jsonl"))
    assert set(load_run(samples).records) == {"vscbench_image"}
    assert cli.main(["report", str(samples), "--out", str(tmp_path), "--resamples", "50"]) == 0
    markdown = (tmp_path / "report.md").read_text()
    assert "No run in this report has text-centric results." in markdown
    assert not (tmp_path / "variants.png").exists()
    assert table_under(markdown, "Image-centric leaderboard — keyword judge")[0]["model"] == "unknown-model"
