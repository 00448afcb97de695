"""``vscbench report`` on real lmms-eval outputs: two tiny random Qwen2.5-VL models (seeds 0 and 1) run
through lmms-eval's ``qwen2_5_vl`` backend on both tasks (``--limit 120``) make a two-row leaderboard.
Their answers depend on the input and sometimes hold a refusal keyword, so verdicts, intervals, paired
metrics and the ranking are not constants: the Markdown must equal what lmms-eval wrote to its results
file, report.json, and the paired figures and intervals recomputed from the logged records."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections import defaultdict
from pathlib import Path
from statistics import mean

import pytest
from PIL import Image

from tests.conftest import results_file, run_lmms_eval
from vscbench_task import cli, judging, metrics, paired
from vscbench_task import metadata as md
from vscbench_task.bootstrap import Interval, sra_intervals
from vscbench_task.demo import tiny_qwen_vl
from vscbench_task.docs import docs_for
from vscbench_task.llm_judge import prompt
from vscbench_task.llm_judge.judge import Judgement, JudgeRun
from vscbench_task.lmms_outputs import Run, load_run
from vscbench_task.records import Record, make_record
from vscbench_task.report import tables

LIMIT = 120
RESAMPLES = 200
SEEDS = (0, 1)
PNG_SIZES = {"calibration.png": (1200, 700), "categories.png": (1200, 800), "variants.png": (1200, 800)}
TASKS = {"image": "vscbench_image", "text": "vscbench_text"}
TITLES = {"image": "Image-centric", "text": "Text-centric"}


@pytest.fixture(scope="session")
def run_dirs(prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One lmms-eval run of both tasks per tiny random model (one model per seed), each in its own folder."""
    base = tmp_path_factory.mktemp("report-runs")
    dirs = []
    for seed in SEEDS:
        model = tiny_qwen_vl.build(base / f"tiny-qwen-seed{seed}", seed=seed)
        output = base / f"run-seed{seed}"
        args = [
            "--model", "qwen2_5_vl", "--model_args", tiny_qwen_vl.model_args(model), "--batch_size", "1",
            "--tasks", "vscbench_image,vscbench_text", "--limit", str(LIMIT), "--gen_kwargs", "max_new_tokens=16",
        ]  # fmt: skip
        done = run_lmms_eval(args, prepared_dir, output)
        results = results_file(output)  # lmms-eval exits 0 on failure: the files are the evidence
        assert len(list(results.parent.glob("*_samples_vscbench_*.jsonl"))) == 2, done.stderr[-3000:]
        dirs.append(output)
    return dirs


@pytest.fixture(scope="session")
def report_dir(run_dirs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    assert cli.main(["report", *map(str, run_dirs), "--out", str(out), "--html", "--resamples", str(RESAMPLES)]) == 0
    return out


@pytest.fixture(scope="session")
def report_json(report_dir: Path) -> dict:
    return json.loads((report_dir / "report.json").read_text())


@pytest.fixture(scope="session")
def markdown(report_dir: Path) -> str:
    return (report_dir / "report.md").read_text()


def table_under(markdown: str, heading: str) -> list[dict[str, str]]:
    """Rows (header -> cell) of the first table after the heading line starting with ``heading``.

    A ``95% CI`` column is named after the column it belongs to (``SRA_u 95% CI``), as tables hold several.
    """
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and line.lstrip("# ").startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    header, _, *body = rows
    header = [f"{header[i - 1]} {name}" if name == "95% CI" else name for i, name in enumerate(header)]
    return [dict(zip(header, row, strict=True)) for row in body]


def lmms_metrics(run_dir: Path, part: str) -> dict[str, float]:
    """The metrics lmms-eval reported for a part's task, without its ``,none`` filter suffix."""
    values = json.loads(results_file(run_dir).read_text())["results"][TASKS[part]]
    return {k.removesuffix(",none"): v for k, v in values.items() if isinstance(v, float)}


def logged_records(run_dir: Path, part: str) -> list[Record]:
    """The keyword task's records of one part, straight from the samples file lmms-eval wrote."""
    return load_run(run_dir).records[TASKS[part]]


def printed(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.3f}"


def printed_bounds(interval: dict[str, float | None]) -> str:
    if interval["low"] is None:
        return "—"
    return f"[{interval['low']:.3f}, {interval['high']:.3f}]"


def assert_same_interval(written: dict[str, float | None], computed: Interval) -> None:
    """A report.json interval equals one computed here (NaN written as null)."""
    as_json = {k: None if math.isnan(v) else v for k, v in computed._asdict().items()}
    assert written.keys() == as_json.keys()
    for key, value in written.items():
        assert value == (None if as_json[key] is None else pytest.approx(as_json[key], abs=1e-12)), key


def by_model(report_json: dict, run_dirs: list[Path]) -> dict[str, tuple[Path, dict]]:
    """Model name -> (its run folder, its report.json entry); names come from the runs' ``pretrained=``."""
    names = [load_run(d).model for d in run_dirs]
    assert [m["name"] for m in report_json["models"]] == names and len(set(names)) == len(names)
    return {m["name"]: (d, m) for d, m in zip(run_dirs, report_json["models"], strict=True)}


def test_the_runs_are_informative(run_dirs: list[Path]) -> None:
    # Guards the rest: with constant verdicts every interval collapses and the checks below prove little.
    for run_dir in run_dirs:
        for part in TASKS:
            verdicts = {r["keyword_judge"] for r in logged_records(run_dir, part)}
            assert verdicts == {True, False}, f"{run_dir} {part}: every verdict is {verdicts}"
    image = [metrics.keyword_verdicts(logged_records(d, "image")) for d in run_dirs]
    assert image[0] != image[1], "both seeds gave the same verdicts"


def test_report_files_exist_with_the_expected_figure_sizes(report_dir: Path) -> None:
    for name in ("report.md", "report.json", "report.html"):
        assert (report_dir / name).stat().st_size > 0
    for name, size in PNG_SIZES.items():
        with Image.open(report_dir / name) as image:
            assert image.format == "PNG"
            assert image.size == size
            assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 10  # something was drawn


def test_leaderboard_ranks_and_equals_lmms_eval_results_and_the_json_intervals(
    markdown: str, report_json: dict, run_dirs: list[Path]
) -> None:
    models = by_model(report_json, run_dirs)
    for part in TASKS:
        board = table_under(markdown, f"{TITLES[part]} leaderboard — keyword judge")
        means = {name: lmms_metrics(d, part)["sra_mean_keyword_judge"] for name, (d, _) in models.items()}
        assert [row["model"] for row in board] == sorted(means, key=lambda n: (-means[n], n))
        assert [row["rank"] for row in board] == ["1", "2"]
        for row in board:
            run_dir, entry = models[row["model"]]
            expected, sra = lmms_metrics(run_dir, part), entry["parts"][part]["sra"]
            for column, kind in (("SRA_u", "u"), ("SRA_s", "s"), ("mean", "mean")):
                name = metrics.sra_name(kind, "keyword")
                assert row[column] == printed(expected[name])
                assert row[f"{column} 95% CI"] == printed_bounds(sra[name])
        label, groups = metrics.BREAKDOWN[part]
        breakdown = table_under(markdown, f"{TITLES[part]} SRA by {label} — keyword judge")
        assert len(breakdown) == len(groups) * len(models)
        for row in breakdown:
            run_dir, entry = models[row["model"]]
            expected, sra = lmms_metrics(run_dir, part), entry["parts"][part]["sra"]
            for column, kind in (("SRA_u", "u"), ("SRA_s", "s")):
                name = metrics.sra_name(kind, "keyword", row[label])
                assert row[column] == printed(expected[name])
                assert row[f"{column} 95% CI"] == printed_bounds(sra[name])


def test_json_points_equal_lmms_eval_and_intervals_equal_the_bootstrap(report_json: dict, run_dirs: list[Path]) -> None:
    assert (report_json["judge"], report_json["resamples"], report_json["seed"]) == ("keyword", RESAMPLES, 20250526)
    widths = []
    for run_dir, (_, entry) in zip(run_dirs, by_model(report_json, run_dirs).values(), strict=True):
        for part in TASKS:
            expected = lmms_metrics(run_dir, part)
            records = logged_records(run_dir, part)
            table = metrics.sra_metrics(part, "keyword")
            verdicts = metrics.keyword_verdicts(records)
            bootstrap = sra_intervals(table, records, verdicts, resamples=RESAMPLES, seed=report_json["seed"])
            sra = entry["parts"][part]["sra"]
            assert sra.keys() == table.keys() and sra.keys() <= expected.keys()
            for name, interval in sra.items():
                assert interval["point"] == pytest.approx(expected[name], abs=1e-12)
                assert_same_interval(interval, bootstrap[name])
                if interval["low"] is not None:
                    assert interval["low"] <= interval["point"] <= interval["high"]
                    widths.append(interval["high"] - interval["low"])
    assert max(widths) > 0.05  # real uncertainty, not the [0, 0] / [1, 1] of a constant model


def test_sra_by_xstest_type_is_the_share_of_each_types_docs(
    markdown: str, report_json: dict, run_dirs: list[Path]
) -> None:
    models = by_model(report_json, run_dirs)
    rows = table_under(markdown, "Text-centric SRA by XSTest type — keyword judge")
    assert len(rows) == len(tables.xstest_types()) * len(models)
    computed = 0
    for row in rows:
        run_dir, entry = models[row["model"]]
        docs = [r for r in logged_records(run_dir, "text") if r["category"] == row["type"]]
        unsafe = row["metric"] == "SRA_u"
        assert all(r["unsafe"] is unsafe for r in docs)
        handled = [r["keyword_judge"] is unsafe for r in docs]  # recognised if unsafe, answered if safe
        assert row["all variants"] == printed(mean(handled) if handled else None)
        assert row["docs"] == str(len(docs))
        for variant in md.VARIANTS:
            of_variant = [r["keyword_judge"] is unsafe for r in docs if r["variant"] == variant]
            assert row[variant] == printed(mean(of_variant) if of_variant else None)
        name = metrics.sra_name("u" if unsafe else "s", "keyword", row["type"])
        assert row["all variants 95% CI"] == printed_bounds(entry["parts"]["text"]["by_type"][name])
        computed += bool(handled)
    assert computed > 0, "the --limit run reaches no XSTest type"


def prompt_groups(records: list[Record]) -> list[list[Record]]:
    """The complete image-centric prompts (all six docs logged)."""
    rows: dict[int, list[Record]] = defaultdict(list)
    for r in records:
        rows[r["row"]].append(r)
    return [group for group in rows.values() if len(group) == 6]


def query_verdicts(records: list[Record]) -> list[dict[str, bool]]:
    """The complete text-centric queries (all five variants logged), as variant -> recognised unsafe."""
    rows: dict[int, dict[str, bool]] = defaultdict(dict)
    for r in records:
        rows[r["row"]][r["variant"]] = r["keyword_judge"]
    return [verdicts for verdicts in rows.values() if len(verdicts) == len(md.VARIANTS)]


def point_and_bounds(interval: dict[str, float | None]) -> tuple[str, str]:
    return printed(interval["point"]), printed_bounds(interval)


def test_paired_metrics_equal_the_logged_verdicts_and_the_paired_intervals(
    markdown: str, report_json: dict, run_dirs: list[Path]
) -> None:
    models = by_model(report_json, run_dirs)
    listed = {row["model"]: row for row in table_under(markdown, "Models — keyword judge")}
    image = {row["model"]: row for row in table_under(markdown, "Image-centric paired metrics — keyword judge")}
    consistency = table_under(markdown, "Variant consistency — keyword judge")
    flips = table_under(markdown, "Flips against the text-only input — keyword judge")
    assert len(flips) == len(models) * len(md.IMAGE_VARIANTS) * len(paired.SUBSETS)
    seed = report_json["seed"]
    for name, (run_dir, entry) in models.items():
        records = logged_records(run_dir, "image")
        prompts = prompt_groups(records)
        assert 0 < len(prompts) < len({r["row"] for r in records})  # the --limit run really is partial
        assert listed[name]["complete prompts"] == image[name]["prompts used"] == str(len(prompts))
        answered = [sum(not r["keyword_judge"] for r in g if not r["unsafe"]) for g in prompts]
        recognised = [sum(r["keyword_judge"] for r in g if r["unsafe"]) for g in prompts]
        by_hand = {
            "pair_discrimination": mean(a * b / 9 for a, b in zip(answered, recognised, strict=True)),
            "image_blind": mean(len({r["keyword_judge"] for r in g}) == 1 for g in prompts),
        }
        bootstrap = paired.image_table(records, metrics.keyword_verdicts(records)).intervals(
            resamples=RESAMPLES, seed=seed
        )
        for stat, column in (("pair_discrimination", "pair discrimination"), ("image_blind", "image-blind")):
            interval = entry["parts"]["image"]["paired"][stat]
            assert (image[name][column], image[name][f"{column} 95% CI"]) == point_and_bounds(interval)
            assert image[name][column] == printed(by_hand[stat])
            assert_same_interval(interval, bootstrap[stat])

        texts = logged_records(run_dir, "text")
        queries = query_verdicts(texts)
        assert listed[name]["complete queries"] == str(len(queries))
        text_paired = entry["parts"]["text"]["paired"]
        [overall] = [r for r in consistency if r["model"] == name and r["queries"] == "all"]
        same = [len(set(q.values())) == 1 for q in queries]
        assert overall["queries used"] == str(len(queries))
        assert overall["consistency"] == printed(mean(same) if same else None)
        stat = paired.text_stat("consistency", "all")
        assert (overall["consistency"], overall["consistency 95% CI"]) == point_and_bounds(text_paired[stat])
        for row in (r for r in flips if r["model"] == name and r["queries"] == "all"):
            flipped = [q[row["variant"]] != q["txt"] for q in queries]
            assert row["flip"] == printed(mean(flipped) if flipped else None)
            stat = paired.text_stat("flip", "all", row["variant"])
            assert (row["flip"], row["flip 95% CI"]) == point_and_bounds(text_paired[stat])
        bootstrap = paired.text_table(texts, metrics.keyword_verdicts(texts)).intervals(resamples=RESAMPLES, seed=seed)
        assert text_paired.keys() == bootstrap.keys()
        for stat, interval in text_paired.items():
            assert_same_interval(interval, bootstrap[stat])


def test_every_heading_names_the_judge(markdown: str) -> None:
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert len(headings) > 10
    assert all(line.endswith("— keyword judge") for line in headings)


def test_html_is_self_contained_with_the_same_figures(report_dir: Path, report_json: dict) -> None:
    page = (report_dir / "report.html").read_text()
    assert not re.search(r'src="(?!data:)', page)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(PNG_SIZES)
    sizes = sorted(Image.open(io.BytesIO(base64.b64decode(data))).size for data in images)
    assert sizes == sorted(PNG_SIZES.values())
    assert "<th>pair discrimination</th>" in page
    assert all(m["name"] in page for m in report_json["models"])


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
