"""The report's calibration section and calibration-utility plane: runs of several methods of one model get
a comparison with the baseline; utility figures are read from results files as they key them, refused
when missing, and drawn each on its own axis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.logged_run import samples, write_run
from vscbench_task.calibration.split import split_items
from vscbench_task.hosts.readers import load_run
from vscbench_task.report import tables, utility
from vscbench_task.report.write import write_report

REFUSE, ANSWER = "I cannot help with that.", "Sure, here it is."


def _run(folder: Path, task: str, refuses) -> Path:
    items = split_items("image", "evaluation")
    write_run(folder, {task: samples(task, [REFUSE if refuses(i) else ANSWER for i in items])})
    return folder


def _results(path: Path, task: str, metric: str, value: object, stderr: object) -> Path:
    path.write_text(
        json.dumps({"results": {task: {"alias": task, f"{metric},none": value, f"{metric}_stderr,none": stderr}}})
    )
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("out/a=r.json:mme/score,none", ("out/a", "r.json", "mme/score,none")),
        (
            "C:/runs/a=C:/res/r.json:mmbench_en/gpt_eval_score,none",
            ("C:/runs/a", "C:/res/r.json", "mmbench_en/gpt_eval_score,none"),
        ),
    ],
)
def test_a_utility_argument_splits_the_file_from_the_metric_at_the_last_colon(text: str, expected: tuple) -> None:
    request = utility.parse(text)
    assert (request.run, str(request.file), request.metric) == expected


@pytest.mark.parametrize("text", ["r.json:mme/score,none", "a=r.json", "a=r.json:score,none", "a=r.json:mme/score"])
def test_a_malformed_utility_argument_is_refused_showing_the_shape(text: str) -> None:
    with pytest.raises(ValueError, match="RUN=RESULTS_FILE:METRIC"):
        utility.parse(text)


def test_a_results_file_without_the_metric_is_refused_naming_the_metrics_it_has(tmp_path: Path) -> None:
    path = _results(tmp_path / "r.json", "mme", "mme_percetion_score", 1200.0, "N/A")
    assert utility.read(utility.parse(f"a={path}:mme/mme_percetion_score,none")) == (1200.0, None)
    with pytest.raises(
        utility.UtilityError, match=r"has no metric mme/score,none; it has: mme/mme_percetion_score,none"
    ):
        utility.read(utility.parse(f"a={path}:mme/score,none"))
    bad = _results(tmp_path / "bad.json", "mme", "score", "high", "N/A")
    with pytest.raises(utility.UtilityError, match="is 'high', not a finite number"):
        utility.read(utility.parse(f"a={bad}:mme/score,none"))


@pytest.mark.parametrize(
    ("value", "stderr", "message"),
    [
        (10**400, "N/A", r"is 1000.*, not a finite number within ±1e\+12"),
        (1e308, "N/A", r"not a finite number within ±1e\+12"),
        (0.5, 10**400, r"mme_stderr,none in .* a stderr is a number from 0 to 1e\+12"),
        (0.5, -0.1, r"is -0.1: a stderr is a number from 0"),
    ],
)
def test_a_utility_value_or_stderr_out_of_range_is_refused_not_a_traceback(
    tmp_path: Path, value: object, stderr: object, message: str
) -> None:
    path = _results(tmp_path / "r.json", "mme", "mme", value, stderr)
    with pytest.raises(utility.UtilityError, match=message):
        utility.read(utility.parse(f"a={path}:mme/mme,none"))


def test_a_utility_file_repeating_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"results": {"mme": {"score,none": 0.5, "score,none": 0.9}}}')
    with pytest.raises(utility.UtilityError, match=r"not a readable results file .*appears twice"):
        utility.read(utility.parse(f"a={path}:mme/score,none"))


def test_one_run_given_one_metric_twice_is_refused_and_a_run_path_may_hold_an_equals_sign(tmp_path: Path) -> None:
    baseline, method = _two_methods(tmp_path)
    odd = baseline.rename(tmp_path / "m=v2")
    runs = [str(odd), str(method)]
    names = tables.model_names([load_run(Path(r)) for r in runs])
    first = _results(tmp_path / "u1.json", "mme", "score", 0.7, "N/A")
    second = _results(tmp_path / "u2.json", "mme", "score", 0.3, "N/A")
    (found,) = utility.values([utility.parse(f"{odd}={first}:mme/score,none")], runs, names, ["m", "m"])
    assert (found.model, found.value, found.file) == (0, 0.7, str(first))
    shorter = baseline.parent / "m"  # runs "m" and "m=v2" side by side: the reading whose file exists wins
    (found,) = utility.values(
        [utility.parse(f"{odd}={first}:mme/score,none")], [str(shorter), *runs], ["s", *names], ["m", "m", "m"]
    )
    assert (found.model, found.file) == (1, str(first))
    twice = [utility.parse(f"{odd}={first}:mme/score,none"), utility.parse(f"{odd}/={second}:mme/score,none")]
    with pytest.raises(utility.UtilityError, match="mme/score,none is given twice for the run"):
        utility.values(twice, runs, names, ["m", "m"])


def _two_methods(tmp_path: Path) -> tuple[Path, Path]:
    baseline = _run(tmp_path / "base", "vscbench_image_eval", lambda i: i.row % 3 == 0)
    method = _run(tmp_path / "rem", "vscbench_image_reminder", lambda i: i.row % 3 == 0 or i.unsafe)
    return baseline, method


def test_a_report_of_a_baseline_and_a_method_has_the_calibration_section(tmp_path: Path) -> None:
    baseline, method = _two_methods(tmp_path)
    written = write_report(
        [str(baseline), str(method)], tmp_path / "rep", judge="keyword", seed=1, resamples=100, with_html=False
    )
    text = written["markdown"].read_text()
    assert "## Calibration methods against the baseline — keyword judge" in text
    assert "Leaderboard of the evaluation split" in text and written["methods"].is_file()
    document = json.loads(written["json"].read_text())
    (comparison,) = document["comparisons"]
    assert comparison["methods"][0]["method"]["name"] == "reminder"
    delta = comparison["methods"][0]["parts"]["image"]["figures"]["sra_u_keyword_judge"]["difference"]["point"]
    unsafe = [i for i in split_items("image", "evaluation") if i.unsafe]
    assert delta == pytest.approx(1.0 - sum(i.row % 3 == 0 for i in unsafe) / len(unsafe))
    assert [m["method"]["name"] for m in document["models"] if "method" in m] == ["reminder"]
    assert all(m["split"] == "evaluation" for m in document["models"])


def test_the_utility_plane_puts_each_utility_task_on_its_own_axis(tmp_path: Path) -> None:
    baseline, method = _two_methods(tmp_path)
    files = {
        "base": (
            _results(tmp_path / "u1.json", "mme", "score", 1500.0, "N/A"),
            _results(tmp_path / "u2.json", "mmb", "acc", 0.61, 0.02),
        ),
        "rem": (
            _results(tmp_path / "u3.json", "mme", "score", 1400.0, "N/A"),
            _results(tmp_path / "u4.json", "mmb", "acc", 0.55, 0.02),
        ),
    }
    requests = [
        utility.parse(f"{folder}={path}:{metric}")
        for folder, key in ((baseline, "base"), (method, "rem"))
        for path, metric in zip(files[key], ("mme/score,none", "mmb/acc,none"), strict=True)
    ]
    runs = [(str(p), load_run(p)) for p in (baseline, method)]
    found = utility.values(requests, [s for s, _ in runs], tables.model_names([r for _, r in runs]), ["m", "m"])
    report = tables.build(runs, "keyword", resamples=50)
    fig = utility.plane(found, report)
    axes = fig.axes
    assert [ax.get_xlabel() for ax in axes] == ["mme/score,none", "mmb/acc,none"]
    xs = [[line.get_xdata()[0] for line in ax.get_lines() if line.get_marker() == "o"] for ax in axes]
    assert sorted(xs[0]) == [1400.0, 1500.0] and sorted(xs[1]) == [0.55, 0.61]
    written = write_report(
        [str(baseline), str(method)], tmp_path / "rep", judge="keyword", seed=1, resamples=50, with_html=True,
        utility_requests=tuple(requests),
    )  # fmt: skip
    assert written["utility"].is_file() and "Calibration-utility plane" in written["markdown"].read_text()
    values = {(u["metric"], u["value"], u["stderr"]) for u in json.loads(written["json"].read_text())["utility"]}
    assert ("mmb/acc,none", 0.61, 0.02) in values and ("mme/score,none", 1400.0, None) in values


def test_a_utility_run_that_is_not_in_the_report_is_refused_before_scoring(tmp_path: Path) -> None:
    baseline, _ = _two_methods(tmp_path)
    path = _results(tmp_path / "u.json", "mme", "score", 1.0, "N/A")
    with pytest.raises(utility.UtilityError, match="is none of the report's runs"):
        write_report(
            [str(baseline)], tmp_path / "rep", judge="keyword", seed=1, resamples=50, with_html=False,
            utility_requests=(utility.parse(f"elsewhere={path}:mme/score,none"),),
        )  # fmt: skip
    assert not (tmp_path / "rep").exists()


def test_compare_methods_prints_each_method_s_differences_and_writes_its_files(tmp_path: Path, capsys) -> None:
    from vscbench_task.cli import main

    baseline, method = _two_methods(tmp_path)
    code = main(["compare-methods", str(baseline), str(method), "--out", str(tmp_path / "cmp"), "--resamples", "100"])
    printed = capsys.readouterr().out
    assert code == 0 and "reminder [image, 1,728 docs]: SRA_u 1.000 (Δ +" in printed
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == {"compare.json", "compare.md", "methods.png"}
    flips = json.loads((tmp_path / "cmp" / "compare.json").read_text())["methods"][0]["parts"]["image"]["flips"]
    unsafe = [i for i in split_items("image", "evaluation") if i.unsafe]
    assert flips["better"] == flips["flipped"] == sum(i.row % 3 != 0 for i in unsafe)


def test_compare_methods_says_on_screen_when_a_method_run_is_of_another_model(tmp_path: Path, capsys) -> None:
    from vscbench_task.cli import main

    baseline, _ = _two_methods(tmp_path)
    items = split_items("image", "evaluation")
    other = tmp_path / "other"
    logged = {"vscbench_image_reminder": samples("vscbench_image_reminder", [REFUSE for _ in items])}
    write_run(other, logged, {"config": {"model": "hf", "model_args": "pretrained=org/other"}})
    assert main(["compare-methods", str(baseline), str(other), "--resamples", "100"]) == 0
    assert "NOTE: not all runs are of the baseline's model" in capsys.readouterr().out


def test_compare_methods_reads_each_run_s_verdicts_from_its_verdict_file(
    tmp_path: Path, stub, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from tests.support.judge_env import judge_env
    from vscbench_task.cli import main
    from vscbench_task.rescore import rescore
    from vscbench_task.verdict_export import export

    for name, value in judge_env(stub, tmp_path / "cache.sqlite3").items():
        monkeypatch.setenv(name, value)
    texts = {"base": ["Sure, here it is."] * 12, "rem": ["I cannot help with that."] * 12}
    files = {}
    for name, task in (("base", "vscbench_image_eval"), ("rem", "vscbench_image_reminder")):
        write_run(tmp_path / name, {task: samples(task, texts[name])})
        rescore(tmp_path / name, "llm", tmp_path / f"{name}.json", progress=False)
        files[name] = tmp_path / f"{name}.verdicts.jsonl"
        export(tmp_path / name, files[name])
    calls = len(stub.calls())
    monkeypatch.delenv("OPENAI_API_KEY")  # the verdict files stand in for the judge: no call may happen
    args = ["compare-methods", str(tmp_path / "base"), str(tmp_path / "rem"), "--resamples", "100"]
    args += [f"--verdicts={tmp_path / name}={files[name]}" for name in ("base", "rem")]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "reminder [image, 12 docs]: SRA_u 1.000 (Δ +1.000" in printed and len(stub.calls()) == calls
