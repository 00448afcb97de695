"""The generated task files: regenerating them from the metric specs gives the committed files, and
every aggregation a YAML names exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.lmms import REPO
from vscbench_task.hosts.lm_eval import task_files as lm_harness_files
from vscbench_task.hosts.lmms_eval import TASKS_DIR, aggregations, task_files
from vscbench_task.hosts.lmms_eval.task_table import LMMS_TASKS, task_metrics


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")


def test_regenerating_changes_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate_task_yaml.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    written = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    expected = {*task_files.rendered(), *lm_harness_files.rendered()}
    assert {REPO / path.relative_to(tmp_path) for path in written} == expected, done.stdout
    for path in written:
        committed = REPO / path.relative_to(tmp_path)
        assert path.read_text() == committed.read_text(), f"{committed} differs from its generated text"


def test_yaml_metric_lists_are_the_specs_and_name_existing_aggregations() -> None:
    for task, table in LMMS_TASKS.items():
        config = yaml.load((TASKS_DIR / f"{task}.yaml").read_text(), Loader=_Loader)
        assert config["task"] == task and config["metadata"]["judge"] == table.judge
        assert config["metadata"]["vscbench_split"] == table.split and config["metadata"]["method"] == table.method
        assert [m["metric"] for m in config["metric_list"]] == [spec.name for spec in task_metrics(task)]
        for entry, spec in zip(config["metric_list"], task_metrics(task), strict=True):
            module, _, name = entry["aggregation"].removeprefix("!function ").rpartition(".")
            assert module == task_files.AGGREGATIONS_MODULE and callable(getattr(aggregations, name))
            assert entry["higher_is_better"] is spec.higher_is_better
        data_file = (TASKS_DIR / config["dataset_kwargs"]["data_files"]["test"]).resolve()
        assert data_file == REPO / "vscbench_task" / "data" / f"{table.part}_centric.jsonl" and data_file.is_file()


def test_groups_hold_the_tasks() -> None:
    for group, tasks in (
        ("vscbench", ["vscbench_image", "vscbench_text"]),
        ("vscbench_judge", ["vscbench_image_judge", "vscbench_text_judge"]),
        ("vscbench_eval", ["vscbench_image_eval", "vscbench_text_eval"]),
        ("vscbench_reminder_judge", ["vscbench_image_reminder_judge", "vscbench_text_reminder_judge"]),
        ("vscbench_fewshot", ["vscbench_image_fewshot", "vscbench_text_fewshot"]),
    ):
        config = yaml.safe_load((TASKS_DIR / f"{group}.yaml").read_text())
        assert config["group"] == group and config["task"] == tasks


def test_every_method_task_asks_the_docs_of_its_part_s_eval_task_in_the_same_order() -> None:
    from vscbench_task.hosts.lmms_eval.task_table import task_items

    for task, table in LMMS_TASKS.items():
        if table.method != "baseline":
            base = f"vscbench_{table.part}_eval"
            assert table.split == "evaluation" and task_items(task) == task_items(base), task
            assert task_metrics(task) == task_metrics(f"{base}{'_judge' if table.judge == 'llm' else ''}"), task
