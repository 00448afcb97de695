"""A judge's validity beside its figures: saved per judge *and* gold sets, so a ``--limit`` smoke test never
replaces a full validation; an undefined figure reads "undefined" and breaks nothing (issue 14, case 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.judge_env import judge_env
from tests.support.logged_run import samples, write_run
from tests.support.stub_server import StubProcess
from vscbench_task.cli import main as cli_main
from vscbench_task.judges.llm.prompt import PROMPT_VERSION
from vscbench_task.judges.llm.settings import from_env
from vscbench_task.validation.validity import SAVED_DIR


@pytest.fixture
def judged_run(tmp_path: Path, stub: StubProcess, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An LLM-judge environment pointing at the loopback judge, and a small logged run to score."""
    for name, value in judge_env(stub, tmp_path / "c.sqlite3").items():
        monkeypatch.setenv(name, value)
    write_run(tmp_path / "run", {"vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 6)})
    return tmp_path / "run"


def _validate(tmp_path: Path, out: str, *extra: str) -> None:
    args = ["validate-judge", "--judge", "llm", "--out", str(tmp_path / out), "--resamples", "100", *extra]
    assert cli_main(args) == 0


def test_a_smoke_validation_with_an_undefined_kappa_breaks_neither_rescore_nor_report(
    judged_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One response cannot give a kappa: the saved validation holds null, and every later LLM rescore
    once exited 1 with a TypeError after writing its files, every report crashed."""
    _validate(tmp_path, "v", "--gold", "msts", "--limit", "1")
    printed = capsys.readouterr().out
    assert "| msts | llm judge | 1 |" in printed and "undefined" in printed
    assert "judge calls: 1 made, 0 answered from the cache, 0 failed, 0 unparseable" in printed
    assert (
        json.loads((tmp_path / "v" / "validation.json").read_text())["gold_sets"]["msts"]["readings"]["llm"]["kappa"]
        is None
    )
    assert cli_main(["rescore", str(judged_run), "--judge", "llm"]) == 0
    line = next(text for text in capsys.readouterr().out.splitlines() if text.startswith("Validity of the llm judge"))
    assert "ONLY A LIMITED VALIDATION EXISTS (validate-judge --limit 1;" in line
    assert "1 human-labelled responses, accuracy" in line and "Cohen's kappa undefined" in line
    assert (
        cli_main(["report", str(judged_run), "--judge", "llm", "--out", str(tmp_path / "r"), "--resamples", "100"]) == 0
    )
    assert "Cohen's kappa undefined" in (tmp_path / "r" / "report.md").read_text()


def test_a_smoke_test_never_replaces_a_full_validation(
    judged_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --limit 10 smoke test once replaced a saved full validation, so every later report cited "10
    human-labelled responses"."""
    _validate(tmp_path, "full", "--gold", "msts_text")
    full = json.loads((tmp_path / "full" / "validation.json").read_text())["gold_sets"]["msts_text"]["n"]
    _validate(tmp_path, "smoke", "--gold", "msts_text", "--limit", "10")
    assert len(list((tmp_path / SAVED_DIR).glob("*.json"))) == 2  # side by side
    capsys.readouterr()
    assert cli_main(["rescore", str(judged_run), "--judge", "llm"]) == 0
    line = next(text for text in capsys.readouterr().out.splitlines() if text.startswith("Validity of the llm judge"))
    assert f"{full:,} human-labelled responses" in line and "LIMITED" not in line and full > 10


def test_a_validation_file_that_is_not_one_is_refused_with_a_message(
    judged_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --validation file without gold_sets once ended in a KeyError traceback (issue 14, case 10)."""
    settings = from_env()
    identity = {"judge": "llm", "prompt_version": PROMPT_VERSION, "created": "now"}
    identity["judge_settings"] = {"model": settings.model, "url": settings.endpoint}
    for content, message in (
        (identity, "not a validation written by `vscbench validate-judge` (no usable 'gold_sets' field)"),
        ({**identity, "gold_sets": {"msts": {"title": "x"}}}, "no usable 'readings' field"),
        ([1, 2], "not a validation file (a JSON list, not an object)"),
        ("[" * 100_000 + "]" * 100_000, "not a readable validation file (RecursionError"),
    ):
        given = tmp_path / "given.json"
        given.write_text(content if isinstance(content, str) else json.dumps(content))
        assert cli_main(["rescore", str(judged_run), "--judge", "llm", "--validation", str(given)]) == 1
        assert message in capsys.readouterr().err
