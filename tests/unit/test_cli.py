"""The ``vscbench`` command line: the task folder, judge choices in every help that takes one, and the
same exit codes everywhere (0 done, 1 a data/run/judge/settings problem, 2 usage)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.support.lmms import run_vscbench
from vscbench_task import cli
from vscbench_task.cli.options import verdicts_of_runs
from vscbench_task.hosts.lmms_eval import TASKS_DIR as LMMS_TASKS_DIR


def test_tasks_dir_prints_the_packaged_task_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tasks-dir"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == LMMS_TASKS_DIR and (printed / "vscbench_image.yaml").is_file()


@pytest.mark.parametrize(("command", "choices"), [("rescore", "{keyword,llm}"), ("report", "{keyword,llm,llm_strict}")])
def test_judge_choices_are_listed_in_help(command: str, choices: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert f"--judge {choices}" in text and "exit codes: 0 done; 1" in text


def test_every_command_has_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    (sub,) = [action for action in cli.build_parser()._actions if isinstance(action, argparse._SubParsersAction)]
    helps = {action.dest: action.help or "" for action in sub._choices_actions}
    assert set(helps) == set(sub.choices) and len(helps) >= 11
    for command, help_text in helps.items():
        assert len(help_text) > 20 and "``" not in help_text, (command, help_text)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listing = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert all(" ".join(help_text.split()) in listing for help_text in helps.values())


def test_a_bootstrap_too_large_to_hold_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["report", str(tmp_path), "--out", str(tmp_path / "r")], ["validate-judge", "--judge", "keyword"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([*command, "--resamples", "100000000"])
        assert exit_info.value.code == 2
        assert "--resamples must be at most 20,000, got 100,000,000" in capsys.readouterr().err


def test_too_few_resamples_for_an_interval_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report --resamples 1 once printed a "95% CI" that excluded its own point (issue 14, case 11)."""
    for command in (["report", str(tmp_path), "--out", str(tmp_path / "r")], ["validate-judge", "--judge", "keyword"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([*command, "--resamples", "1"])
        assert exit_info.value.code == 2
        assert "--resamples must be at least 100 (fewer draws give a 95% interval that can miss its own point" in (
            capsys.readouterr().err
        )


def test_exit_codes(tmp_path: Path) -> None:
    usage = run_vscbench(["rescore"], tmp_path)
    assert usage.returncode == 2 and "one of the arguments source --responses is required" in usage.stderr
    no_judge = run_vscbench(["rescore", str(tmp_path)], tmp_path)
    assert no_judge.returncode == 2 and "rescore needs --judge keyword|llm, or --verdicts FILE" in no_judge.stderr
    bad_choice = run_vscbench(["rescore", str(tmp_path), "--judge", "oracle"], tmp_path)
    assert bad_choice.returncode == 2 and "invalid choice: 'oracle'" in bad_choice.stderr
    data_problem = run_vscbench(["verify", "--data-dir", str(tmp_path / "none")], tmp_path)
    assert data_problem.returncode == 1 and "vscbench verify: error: " in data_problem.stderr
    assert "vscbench prepare" in data_problem.stderr and "Traceback" not in data_problem.stderr
    run_problem = run_vscbench(["rescore", str(tmp_path / "none"), "--judge", "keyword"], tmp_path)
    assert run_problem.returncode == 1 and "no such run" in run_problem.stderr
    done = run_vscbench(["tasks-dir"], tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == str(LMMS_TASKS_DIR)


def test_verdict_files_pair_with_runs_by_run_equals_file(tmp_path: Path) -> None:
    (tmp_path / "run=a").mkdir()  # a path may hold "=" itself
    runs = [str(tmp_path / "run=a"), str(tmp_path / "b.jsonl")]
    paired = verdicts_of_runs([f"{runs[1]}=vb.jsonl", f"{runs[0]}=va.jsonl"], runs, "--verdicts")
    assert paired == {runs[0]: Path("va.jsonl"), runs[1]: Path("vb.jsonl")}
    assert verdicts_of_runs(["v.jsonl"], runs[:1], "--a") == {runs[0]: Path("v.jsonl")}  # one run: a plain FILE
    for given, message in [
        (["v.jsonl"], "give RUN=FILE, RUN being one of the runs given"),
        ([f"{runs[0]}=va.jsonl"], f"no verdict file for {runs[1]}"),
        ([f"{runs[0]}=va.jsonl", f"{runs[0]}=vb.jsonl"], f"two verdict files for {runs[0]}"),
        ([f"{tmp_path / 'other'}=v.jsonl", f"{runs[1]}=vb.jsonl"], "give RUN=FILE"),
    ]:
        with pytest.raises(cli.UsageError, match=message):
            verdicts_of_runs(given, runs, "--verdicts")


def test_usage_errors_the_parser_cannot_see_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["report", str(tmp_path), "--out", str(tmp_path / "r"), "--judge", "keyword", "--verdicts", "v.jsonl"]
    assert cli.main(args) == 2
    assert "--verdicts holds LLM judge verdicts: report them with --judge llm or llm_strict" in capsys.readouterr().err
    side = ["compare-judges", str(tmp_path), "--a", "keyword", "--a", "v.jsonl", "--b", "llm", "--out", str(tmp_path)]
    assert cli.main(side) == 2
    assert "--a is one judge reading" in capsys.readouterr().err
