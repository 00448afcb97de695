"""The inspect_ai tasks run in process (inspect's mock model): the log they write is read back into the
same responses, and a log that did not finish or has errored samples is refused unless partial runs are
allowed. End to end: inspect's eval loop takes seconds to start."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai._util.error import EvalError
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from vscbench_task.dataset.items import items
from vscbench_task.dataset.metadata import VARIANTS
from vscbench_task.hosts.inspect_ai.tasks import vscbench_image, vscbench_text
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import RunNotFound
from vscbench_task.rescore import rescore
from vscbench_task.scoring.records import RecordError

SAMPLES = [item.doc_key for variant in VARIANTS for item in [i for i in items("text") if i.variant == variant][:2]]
REPLY = "  I cannot help with that.  "


def _mock_output(*_: object) -> ModelOutput:
    output = ModelOutput.from_content(model="mockllm", content=REPLY)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)  # else inspect counts with tiktoken
    return output


@pytest.fixture(scope="module")
def log_file(prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inspect-logs")
    model = get_model("mockllm/model", custom_outputs=_mock_output)
    (log,) = inspect_eval(
        vscbench_text(data_dir=str(prepared_dir)), model=model, sample_id=SAMPLES, log_dir=str(folder), display="none"
    )
    assert log.status == "success"
    return Path(log.location)


def test_the_log_reads_back_as_the_stripped_responses_and_rescores_to_its_own_metrics(
    log_file: Path, tmp_path: Path
) -> None:
    run = load_run(log_file)
    assert (run.host, run.model) == ("inspect_ai", "mockllm/model")
    keys = [r.doc_key for r in run.responses["vscbench_text"]]
    assert len(keys) == len(SAMPLES) and set(keys) == set(SAMPLES)
    assert {r.response for r in run.responses["vscbench_text"]} == {REPLY.strip()}
    rescore(log_file, "keyword", tmp_path / "r.json", progress=False)
    document = json.loads((tmp_path / "r.json").read_text())  # NaN written as null
    (scores,) = read_eval_log(log_file, header_only=True).results.scores
    logged = {name: metric.value for name, metric in scores.metrics.items()}
    rescored = {k.removesuffix(",none"): v for k, v in document["results"]["vscbench_text"].items() if k != "alias"}
    assert logged.keys() == rescored.keys()
    for name, value in logged.items():
        assert (math.isnan(value) and rescored[name] is None) or rescored[name] == value, name


def _edited(log_file: Path, target: Path, *, status: str | None = None, error_in: int | None = None) -> Path:
    log = read_eval_log(log_file)
    if status is not None:
        log.status = status
    if error_in is not None:
        log.samples[error_in].error = EvalError(message="model crashed", traceback="", traceback_ansi="")
    write_eval_log(log, str(target))
    return target


def test_an_errored_sample_is_refused_unless_partial_runs_are_allowed(log_file: Path, tmp_path: Path) -> None:
    edited = _edited(log_file, tmp_path / "errored.eval", error_in=3)
    with pytest.raises(RecordError, match=r"9 of 10 samples answered \(1 errored\).*--allow-partial"):
        load_run(edited)
    run = load_run(edited, allow_partial=True)
    assert run.partial == {"vscbench_text": (9, 10)} and len(run.responses["vscbench_text"]) == 9


def test_an_eval_that_did_not_finish_is_refused(log_file: Path, tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="the eval ended cancelled"):
        load_run(_edited(log_file, tmp_path / "cancelled.eval", status="cancelled"))


def test_a_folder_of_two_models_logs_is_refused(log_file: Path, prepared_dir: Path, tmp_path: Path) -> None:
    write_eval_log(read_eval_log(log_file), str(tmp_path / "text.eval"))
    other = get_model("mockllm/other", custom_outputs=_mock_output)
    inspect_eval(
        vscbench_image(data_dir=str(prepared_dir)),
        model=other,
        sample_id=[item.doc_key for item in items("image")[:2]],
        log_dir=str(tmp_path),
        display="none",
    )
    with pytest.raises(RunNotFound, match="runs of 2 models"):
        load_run(tmp_path)


def test_a_sample_edited_to_another_id_is_not_scored(log_file: Path, tmp_path: Path) -> None:
    log = read_eval_log(log_file)
    log.samples[0].id = items("image")[0].doc_key  # inspect's reader drops a sample its header does not list
    write_eval_log(log, str(tmp_path / "foreign.json"))
    with pytest.raises(RecordError, match="9 of 10 samples answered"):
        load_run(tmp_path / "foreign.json")


def test_a_folder_of_json_logs_is_read_and_a_retried_task_takes_the_log_that_succeeded(
    log_file: Path, tmp_path: Path
) -> None:
    write_eval_log(read_eval_log(log_file), str(tmp_path / "done.json"))
    assert load_run(tmp_path).responses["vscbench_text"]  # a JSON log in a folder is a log too
    _edited(log_file, tmp_path / "failed.eval", status="error", error_in=0)  # what eval-retry leaves beside its log
    assert not load_run(tmp_path).partial  # the log that succeeded, not the failed one (which would be partial)
    _edited(log_file, tmp_path / "second.eval")
    with pytest.raises(RunNotFound, match="vscbench_text was run 3 times"):
        load_run(tmp_path)


def test_another_packages_task_of_the_same_name_is_not_vscbench(log_file: Path, tmp_path: Path) -> None:
    log = read_eval_log(log_file)
    log.eval.task = "someone_else/vscbench_text"
    write_eval_log(log, str(tmp_path / "other.eval"))
    with pytest.raises(RunNotFound, match="no log of a VSCBench task"):
        load_run(tmp_path / "other.eval")
