"""Which inspect_ai logs make a run: chosen by what they cover, never a smaller success over a larger
failed run (issue 14, case 3). The logs are the saved regression runs (90 samples per part), edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log, write_eval_log

from tests.support.regression import RUNS
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import RunNotFound
from vscbench_task.scoring.records import RecordError

(IMAGE_LOG,) = sorted((RUNS / "inspect_ai").glob("*vscbench-image*.eval"))


def _log(target: Path, *, keep: int, planned: int | None = None, status: str = "success") -> Path:
    """The saved image log with its first ``keep`` samples, planned over ``planned`` ids, ending ``status``."""
    log = read_eval_log(IMAGE_LOG)
    ids = log.eval.dataset.sample_ids or []
    log.eval.dataset.sample_ids = ids[: planned or keep]
    log.samples = (log.samples or [])[:keep]
    log.status = status
    if log.results is not None:
        log.results.total_samples = log.results.completed_samples = planned or keep
    if status != "success":
        log.results = None  # a run that crashed wrote no results
    write_eval_log(log, str(target))
    return target


def test_a_smaller_success_is_never_taken_for_a_larger_failed_run(tmp_path: Path) -> None:
    """A --limit 10 smoke log beside the crashed full run was once scored as the 10-doc run, not partial."""
    smoke = _log(tmp_path / "smoke.eval", keep=10)
    crashed = _log(tmp_path / "full.eval", keep=60, planned=90, status="error")
    with pytest.raises(RecordError) as err:
        load_run(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{crashed}: the eval ended error with 60 of 90 samples answered")
    assert f"{smoke} (a smaller run of vscbench_image) was left aside" in message
    run = load_run(tmp_path, allow_partial=True)
    assert run.partial == {"vscbench_image": (60, 90)} and len(run.responses["vscbench_image"]) == 60


def test_the_log_covering_most_is_the_run_and_a_retry_wins_over_its_failed_log(tmp_path: Path) -> None:
    _log(tmp_path / "smoke.eval", keep=10)
    _log(tmp_path / "failed.eval", keep=40, planned=90, status="error")
    _log(tmp_path / "retried.eval", keep=90)  # what inspect eval-retry leaves beside the failed log
    run = load_run(tmp_path)
    assert not run.partial and len(run.responses["vscbench_image"]) == 90
    _log(tmp_path / "again.eval", keep=90)
    with pytest.raises(RunNotFound, match="vscbench_image was run 3 times over the same 90 samples"):
        load_run(tmp_path)


def test_a_json_log_nested_too_deep_is_no_log(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"status": "success", "eval": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(RunNotFound, match="not a run this package reads"):
        load_run(deep)
