"""``vscbench report`` on real lmms-eval outputs: two tiny random Qwen2.5-VL models (seeds 0 and 1) run
through lmms-eval's ``qwen2_5_vl`` backend on both tasks (``--limit 120``) make a two-row leaderboard.
Their answers depend on the input and sometimes hold a refusal keyword, so verdicts, intervals, paired
metrics and the ranking are not constants: the Markdown must equal what lmms-eval wrote to its results
file, report.json, and the paired figures and intervals recomputed from the logged records."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from pathlib import Path
from statistics import mean

import pytest
from PIL import Image

from tests.conftest import TinyModels
from tests.support.lmms import results_file, run_lmms_eval
from tests.support.markdown_tables import table_under
from vscbench_task import cli
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import Item, item_index, xstest_types
from vscbench_task.demo import tiny_qwen_vl
from vscbench_task.hosts.lmms_eval.outputs import load_run
from vscbench_task.judges.base import Judgement
from vscbench_task.report.document import NOT_ESTIMABLE
from vscbench_task.scoring import paired
from vscbench_task.scoring.bootstrap import Interval, sra_intervals
from vscbench_task.scoring.metric_specs import BREAKDOWN, sra_family, sra_name
from vscbench_task.scoring.score import scored_from

LIMIT = 120
RESAMPLES = 200
SEEDS = (0, 1)
PNGS = ("calibration.png", "categories.png", "variants.png")
TASKS = {"image": "vscbench_image", "text": "vscbench_text"}
TITLES = {"image": "Image-centric", "text": "Text-centric"}


@pytest.fixture(scope="session")
def run_dirs(prepared_dir: Path, tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One lmms-eval run of both tasks per tiny random model (one model per seed), each in its own folder."""
    base = tmp_path_factory.mktemp("report-runs")
    dirs = []
    for seed in SEEDS:
        model = tiny_models.qwen(seed=seed)
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


def lmms_metrics(run_dir: Path, part: str) -> dict[str, float]:
    """The metrics lmms-eval reported for a part's task, without its ``,none`` filter suffix."""
    values = json.loads(results_file(run_dir).read_text())["results"][TASKS[part]]
    return {k.removesuffix(",none"): v for k, v in values.items() if isinstance(v, float)}


def logged(run_dir: Path, part: str) -> list[tuple[Item, bool]]:
    """(item, keyword verdict) of every doc the keyword task logged, read straight from its samples file:
    the verdict ``process_results`` recorded, the item from the packaged metadata by its key."""
    (path,) = results_file(run_dir).parent.glob(f"*_samples_{TASKS[part]}.jsonl")
    records = [json.loads(line)["sra_u_keyword_judge"] for line in path.read_text().splitlines()]
    return [(item_index()[r["doc_key"]], r["keyword_judge"]) for r in records]


def verdicts_of(pairs: list[tuple[Item, bool]]) -> dict[str, bool]:
    return {item.doc_key: verdict for item, verdict in pairs}


def scored(pairs: list[tuple[Item, bool]]):
    judgements = [Judgement(item.doc_key, {"keyword": verdict}) for item, verdict in pairs]
    return scored_from(judgements, (), "keyword", source="test")


def printed(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.3f}"


def printed_bounds(interval: dict[str, float | None]) -> str:
    if interval.get("note") is not None:
        return NOT_ESTIMABLE
    if interval["low"] is None:
        return "—"
    return f"[{interval['low']:.3f}, {interval['high']:.3f}]"


def printed_cell(value: float | None, interval: dict[str, float | None]) -> str:
    """A wide table's cell: the figure and its interval, ``0.812 [0.770, 0.850]``."""
    bounds = printed_bounds(interval)
    return printed(value) if printed(value) == "—" or bounds == "—" else f"{printed(value)} {bounds}"


def assert_same_interval(written: dict[str, float | None], computed: Interval) -> None:
    """A report.json interval equals one computed here (NaN written as null)."""
    as_json = {k: None if math.isnan(v) else v for k, v in computed._asdict().items() if k != "note"}
    if computed.note is not None:
        as_json["note"] = computed.note
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
            verdicts = {v for _, v in logged(run_dir, part)}
            assert verdicts == {True, False}, f"{run_dir} {part}: every verdict is {verdicts}"
    image = [verdicts_of(logged(d, "image")) for d in run_dirs]
    assert image[0] != image[1], "both seeds gave the same verdicts"


def test_report_files_exist_with_drawn_figures(report_dir: Path) -> None:
    for name in ("report.md", "report.json", "report.html", "leaderboard.csv", "leaderboard.jsonl"):
        assert (report_dir / name).stat().st_size > 0
    for name in PNGS:
        with Image.open(report_dir / name) as image:
            assert image.format == "PNG"
            assert image.size[0] >= 1000 and image.size[1] >= 600
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
                name = sra_name(kind, "keyword")
                assert row[column] == printed(expected[name])
                assert row[f"{column} 95% CI"] == printed_bounds(sra[name])
        label, groups = BREAKDOWN[part]
        breakdown = table_under(markdown, f"{TITLES[part]} SRA by {label} — keyword judge")
        assert len(breakdown) == len(models)  # one row per model, the groups as columns
        for row in breakdown:
            run_dir, entry = models[row["model"]]
            expected, sra = lmms_metrics(run_dir, part), entry["parts"][part]["sra"]
            for group in groups:
                for column, kind in (("SRA_u", "u"), ("SRA_s", "s")):
                    name = sra_name(kind, "keyword", group)
                    assert row[f"{group} {column}"] == printed_cell(expected[name], sra[name])


def test_json_points_equal_lmms_eval_and_intervals_equal_the_bootstrap(report_json: dict, run_dirs: list[Path]) -> None:
    assert (report_json["judge"], report_json["resamples"], report_json["seed"]) == ("keyword", RESAMPLES, 20250526)
    widths = []
    for run_dir, (_, entry) in zip(run_dirs, by_model(report_json, run_dirs).values(), strict=True):
        for part in TASKS:
            expected = lmms_metrics(run_dir, part)
            table = sra_family(part, "keyword")
            bootstrap = sra_intervals(
                table, scored(logged(run_dir, part)), resamples=RESAMPLES, seed=report_json["seed"]
            )
            sra = entry["parts"][part]["sra"]
            assert list(sra) == [spec.name for spec in table] and sra.keys() <= expected.keys()
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
    assert len(rows) == len(models)
    computed = 0
    for row in rows:
        run_dir, entry = models[row["model"]]
        by_type = entry["parts"]["text"]["by_type"]
        for xstest_type in xstest_types():
            docs = [(i, v) for i, v in logged(run_dir, "text") if i.category == xstest_type]
            unsafe = "contrast" in xstest_type
            assert all(i.unsafe is unsafe for i, _ in docs)
            handled = [v is unsafe for _, v in docs]  # recognised if unsafe, answered if safe
            kind = "u" if unsafe else "s"
            name = sra_name(kind, "keyword", xstest_type)
            column = f"{xstest_type} {'SRA_u' if unsafe else 'SRA_s'}"
            assert row[column] == printed_cell(mean(handled) if handled else None, by_type[name])
            assert by_type[name]["point"] == (pytest.approx(mean(handled)) if handled else None)
            for variant in md.VARIANTS:  # per type and variant: in report.json
                of_variant = [v is unsafe for i, v in docs if i.variant == variant]
                point = by_type[sra_name(kind, "keyword", xstest_type, variant)]["point"]
                assert point == (pytest.approx(mean(of_variant)) if of_variant else None)
            computed += bool(handled)
    assert computed > 0, "the --limit run reaches no XSTest type"


def prompt_groups(pairs: list[tuple[Item, bool]]) -> list[list[tuple[Item, bool]]]:
    """The complete image-centric prompts (all six docs logged)."""
    rows: dict[int, list[tuple[Item, bool]]] = defaultdict(list)
    for item, verdict in pairs:
        rows[item.row].append((item, verdict))
    return [group for group in rows.values() if len(group) == 6]


def query_verdicts(pairs: list[tuple[Item, bool]]) -> list[dict[str, bool]]:
    """The complete text-centric queries (all five variants logged), as variant -> recognised unsafe."""
    rows: dict[int, dict[str, bool]] = defaultdict(dict)
    for item, verdict in pairs:
        rows[item.row][item.variant] = verdict
    return [verdicts for verdicts in rows.values() if len(verdicts) == len(md.VARIANTS)]


def point_and_bounds(interval: dict[str, float | None]) -> tuple[str, str]:
    return printed(interval["point"]), printed_bounds(interval)


def test_paired_metrics_equal_the_logged_verdicts_and_the_paired_intervals(
    markdown: str, report_json: dict, run_dirs: list[Path]
) -> None:
    models = by_model(report_json, run_dirs)
    listed = {row["model"]: row for row in table_under(markdown, "Models — keyword judge")}
    image = {row["model"]: row for row in table_under(markdown, "Image-centric paired metrics — keyword judge")}
    consistency = {row["model"]: row for row in table_under(markdown, "Variant consistency — keyword judge")}
    flips = {row["model"]: row for row in table_under(markdown, "Flips against the text-only input — keyword judge")}
    assert len(flips) == len(consistency) == len(models)
    seed = report_json["seed"]
    for name, (run_dir, entry) in models.items():
        pairs = logged(run_dir, "image")
        prompts = prompt_groups(pairs)
        assert 0 < len(prompts) < len({i.row for i, _ in pairs})  # the --limit run really is partial
        assert listed[name]["complete prompts"] == image[name]["prompts used"] == str(len(prompts))
        answered = [sum(not v for i, v in g if not i.unsafe) for g in prompts]
        recognised = [sum(v for i, v in g if i.unsafe) for g in prompts]
        by_hand = {
            "pair_discrimination": mean(a * b / 9 for a, b in zip(answered, recognised, strict=True)),
            "image_blind": mean(len({v for _, v in g}) == 1 for g in prompts),
        }
        bootstrap = paired.image_table([i for i, _ in pairs], verdicts_of(pairs)).intervals(
            resamples=RESAMPLES, seed=seed
        )
        for stat, column in (("pair_discrimination", "pair discrimination"), ("image_blind", "image-blind")):
            interval = entry["parts"]["image"]["paired"][stat]
            assert (image[name][column], image[name][f"{column} 95% CI"]) == point_and_bounds(interval)
            assert image[name][column] == printed(by_hand[stat])
            assert_same_interval(interval, bootstrap[stat])

        texts = logged(run_dir, "text")
        queries = query_verdicts(texts)
        assert listed[name]["complete queries"] == str(len(queries))
        text_paired = entry["parts"]["text"]["paired"]
        same = [len(set(q.values())) == 1 for q in queries]
        assert consistency[name]["queries used"] == flips[name]["queries used"] == str(len(queries))
        stat = paired.text_stat("consistency", "all")
        assert consistency[name]["all queries"] == printed_cell(mean(same) if same else None, text_paired[stat])
        for variant in md.IMAGE_VARIANTS:
            flipped = [q[variant] != q["txt"] for q in queries]
            stat = paired.text_stat("flip", "all", variant)
            assert flips[name][variant] == printed_cell(mean(flipped) if flipped else None, text_paired[stat])
        bootstrap = paired.text_table([i for i, _ in texts], verdicts_of(texts)).intervals(
            resamples=RESAMPLES, seed=seed
        )
        assert text_paired.keys() == bootstrap.keys()
        for stat, interval in text_paired.items():
            assert_same_interval(interval, bootstrap[stat])


def test_every_heading_names_the_judge(markdown: str) -> None:
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert len(headings) > 10
    assert all(line.endswith("— keyword judge") for line in headings)


def test_html_is_one_self_contained_page_with_every_table(report_dir: Path, report_json: dict) -> None:
    page = (report_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)=["'](?!#)""", page)  # nothing fetched, not even an image
    assert "<th>pair discrimination</th>" in page and 'id="heat-image"' in page and 'id="heat-text"' in page
    assert all(m["name"] in page for m in report_json["models"])


def test_bad_runs_and_options_are_refused_with_a_reason(
    tmp_path: Path, run_dirs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]) == 1
    assert "no such run: " in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r")]) == 1
    assert "no lmms-eval results file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["report", str(run_dirs[0]), "--out", str(tmp_path / "r"), "--judge", "oracle"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'oracle'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["report", str(run_dirs[0]), "--out", str(tmp_path / "r"), "--resamples", "0"])
    assert exit_info.value.code == 2
    assert "--resamples must be at least 100" in capsys.readouterr().err


def test_a_run_with_one_part_reports_the_other_as_absent(run_dirs: list[Path], tmp_path: Path) -> None:
    samples = next(results_file(run_dirs[0]).parent.glob("*_samples_vscbench_image.jsonl"))
    assert set(load_run(samples).responses) == {"vscbench_image"}
    assert cli.main(["report", str(samples), "--out", str(tmp_path), "--resamples", "100"]) == 0
    markdown = (tmp_path / "report.md").read_text()
    assert "No run in this report has text-centric results." in markdown
    assert not (tmp_path / "variants.png").exists()
    # The lone samples file is read with its run's results file, so the model keeps its name.
    model = table_under(markdown, "Image-centric leaderboard — keyword judge")[0]["model"]
    assert model == load_run(run_dirs[0]).model != "unknown-model"
