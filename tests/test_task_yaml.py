"""The task folder: YAML metric lists match the package's metric tables, hooks behave, and a task
without prepared images fails at load with instructions."""

import json
from pathlib import Path

import datasets
import pytest
import yaml

from vscbench_task import datadir, metadata, metrics, task_hooks
from vscbench_task.cli import main as cli_main
from vscbench_task.docs import REQUEST_FIELDS

TASKS = Path(task_hooks.__file__).parent / "task_yaml"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")


def _yaml(name: str) -> dict:
    return yaml.load((TASKS / name).read_text(), Loader=_Loader)


@pytest.mark.parametrize(("task", "part"), [("vscbench_image.yaml", "image"), ("vscbench_text.yaml", "text")])
def test_yaml_metric_list_matches_metric_table(task: str, part: str) -> None:
    config = _yaml(task)
    names = [m["metric"] for m in config["metric_list"]]
    assert names == list(metrics.keyword_task_metrics(part))
    hooks = task_hooks.aggregation_functions()
    for m in config["metric_list"]:
        assert m["aggregation"] == f"!function utils.aggregate_{m['metric']}"
        assert f"aggregate_{m['metric']}" in hooks


def test_generation_is_greedy_with_explicit_until() -> None:
    template = _yaml("_default_template_yaml")
    gen = template["generation_kwargs"]
    assert gen["do_sample"] is False and gen["temperature"] == 0 and gen["until"] == []
    assert gen["max_new_tokens"] >= 512
    assert template["lmms_eval_specific_kwargs"]["default"] == {"pre_prompt": "", "post_prompt": ""}


def test_doc_to_text_sends_the_raw_prompt() -> None:
    doc = {"doc_key": "image/000/unsafe/1", "prompt": "  raw\n", "image": "x.png"}
    assert task_hooks.doc_to_text(doc) == "  raw\n"
    assert task_hooks.doc_to_text(doc, {"pre_prompt": "Be safe. ", "post_prompt": ""}) == "Be safe.   raw\n"
    assert task_hooks.doc_to_target(doc) == "unsafe"


def test_process_docs_fails_without_prepared_images(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(datadir.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit, match="vscbench prepare") as err:
        task_hooks.process_docs(datasets.Dataset.from_list([{"row": 0}]), part="image")
    assert "drive.google.com" in str(err.value)


def test_aggregation_rejects_double_scored_docs() -> None:
    record = {"doc_key": "a", "unsafe": True, "keyword_judge": True}
    with pytest.raises(ValueError, match="more than once"):
        task_hooks.aggregation_functions()["aggregate_sra_u_keyword_judge"]([record, record])


def test_tasks_dir_command(capsys) -> None:
    assert cli_main(["tasks-dir"]) == 0
    assert Path(capsys.readouterr().out.strip()) == TASKS


def test_process_docs_gives_lmms_eval_only_the_request_columns(prepared_dir, monkeypatch) -> None:
    monkeypatch.setenv(datadir.ENV_VAR, str(prepared_dir))
    rows = datasets.Dataset.from_list([dict(r) for r in metadata.text_rows()])
    docs = task_hooks.process_docs(rows, part="text")
    assert docs.column_names == list(REQUEST_FIELDS) and len(docs) == 2250
    record = task_hooks.process_results(docs[0], ["I cannot"])["sra_u_keyword_judge"]
    assert docs[0]["doc_key"] == "text/000/txt"
    assert record == {
        "doc_key": "text/000/txt",
        "part": "text",
        "row": 0,
        "unsafe": False,
        "category": "homonyms",
        "variant": "txt",
        "empty_response": False,
        "keyword_judge": True,
    }


@pytest.mark.parametrize(
    "manifest",
    [{"format": 1, "snapshot": "x"}, {"format": 1, "snapshot": "../elsewhere", "files": {}, "source": {}}, ["x"]],
)
def test_a_malformed_manifest_stops_the_task_cleanly(tmp_path, monkeypatch, manifest) -> None:
    (tmp_path / datadir.MANIFEST).write_text(json.dumps(manifest))
    monkeypatch.setenv(datadir.ENV_VAR, str(tmp_path))
    with pytest.raises(SystemExit, match="vscbench prepare"):
        task_hooks.process_docs(datasets.Dataset.from_list([{"row": 0}]), part="image")
