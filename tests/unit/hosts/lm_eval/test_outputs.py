"""Reading lm-evaluation-harness outputs back: the two text tasks merge into the text part, a text part
missing one of them is refused (or scored as partial), and a sample is taken by its doc, never its labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vscbench_task.hosts.lm_eval.task_table import task_items
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import RunNotFound
from vscbench_task.scoring.records import RecordError

DATE = "2026-12-01T10-00-00.000001"


def write_lm_eval_run(folder: Path, counts: dict[str, int], *, date: str = DATE, edit=None) -> Path:
    """What ``lm_eval --log_samples --output_path`` writes for a model: results and one samples file per task."""
    folder.mkdir(parents=True, exist_ok=True)
    for task, count in counts.items():
        lines = []
        for doc_id, item in enumerate(task_items(task)[:count]):
            sample = {"doc_id": doc_id, "doc": item.request(), "target": "x", "resps": [["Sure."]],
                      "filtered_resps": [f"  answer {doc_id} "]}  # fmt: skip
            lines.append(edit(sample) if edit else sample)
        (folder / f"samples_{task}_{date}.jsonl").write_text("".join(json.dumps(s) + "\n" for s in lines))
    results = {
        "results": {task: {"alias": task} for task in counts},
        "n-samples": {task: {"original": len(task_items(task)), "effective": count} for task, count in counts.items()},
        "config": {"model": "hf-multimodal", "model_args": "pretrained=org/tiny-vlm,dtype=float32"},
    }
    (folder / f"results_{date}.json").write_text(json.dumps(results))
    return folder


def test_the_text_tasks_merge_into_the_text_part(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 4, "vscbench_text_txt": 3, "vscbench_text_images": 5})
    run = load_run(tmp_path)
    assert (run.host, run.model, run.stamp) == ("lm-eval", "org/tiny-vlm", f"lm-eval_{DATE}")
    assert run.folder == folder and not run.partial
    assert len(run.responses["vscbench_image"]) == 4 and len(run.responses["vscbench_text"]) == 8
    assert run.responses["vscbench_text"][0].response == "answer 0"  # stripped, as lmms-eval does


def test_runs_in_one_model_folder_are_read_together(tmp_path: Path) -> None:
    write_lm_eval_run(tmp_path / "m", {"vscbench_image": 2, "vscbench_text_images": 2})
    write_lm_eval_run(tmp_path / "m", {"vscbench_text_txt": 2}, date="2026-12-01T11-00-00.000001")
    run = load_run(tmp_path / "m")
    assert len(run.responses["vscbench_text"]) == 4 and not run.partial


def test_a_text_part_without_its_txt_run_is_refused_or_partial(tmp_path: Path) -> None:
    write_lm_eval_run(tmp_path / "m", {"vscbench_text_images": 6})
    with pytest.raises(RecordError, match="holds the text part's vscbench_text_images but not vscbench_text_txt"):
        load_run(tmp_path)
    run = load_run(tmp_path, allow_partial=True)
    assert run.partial == {"vscbench_text": (6, 6 + len(task_items("vscbench_text_txt")))}


def test_a_task_run_twice_or_two_models_are_refused(tmp_path: Path) -> None:
    write_lm_eval_run(tmp_path / "a", {"vscbench_image": 2})
    write_lm_eval_run(tmp_path / "a", {"vscbench_image": 2}, date="2026-12-02T00-00-00.000001")
    with pytest.raises(RunNotFound, match="vscbench_image was run twice"):
        load_run(tmp_path / "a")
    write_lm_eval_run(tmp_path / "b", {"vscbench_image": 2})
    with pytest.raises(RunNotFound, match="lm-eval runs of 2 models"):
        load_run(tmp_path)


def test_a_truncated_samples_file_is_refused(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 4})
    samples = folder / f"samples_vscbench_image_{DATE}.jsonl"
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[:3]))
    with pytest.raises(RecordError, match="holds 3 samples, but the run's results file says 4"):
        load_run(folder)


def _foreign_doc(sample: dict) -> dict:
    sample["doc"] = {"doc_key": "text/001/txt", "unsafe": True}
    return sample


def _no_doc(sample: dict) -> dict:
    del sample["doc"]
    return sample


def test_a_sample_is_its_logged_doc_checked_against_the_task(tmp_path: Path) -> None:
    write_lm_eval_run(tmp_path / "a", {"vscbench_image": 2}, edit=_foreign_doc)
    with pytest.raises(RecordError, match="text/001/txt is not an item of the lm-eval task vscbench_image"):
        load_run(tmp_path / "a")
    write_lm_eval_run(tmp_path / "b", {"vscbench_image": 2}, edit=_no_doc)  # the doc_id then names the item
    assert [r.doc_key for r in load_run(tmp_path / "b").responses["vscbench_image"]] == [
        item.doc_key for item in task_items("vscbench_image")[:2]
    ]


def _results_file(folder: Path, date: str = DATE) -> Path:
    return folder / f"results_{date}.json"


def _edit_results(folder: Path, change) -> None:
    document = json.loads(_results_file(folder).read_text())
    change(document)
    _results_file(folder).write_text(json.dumps(document))


@pytest.mark.parametrize("effective", [None, 4.0, "4", True, -1])
def test_a_run_that_does_not_say_how_many_docs_it_evaluated_is_refused(tmp_path: Path, effective: object) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 4})
    _edit_results(folder, lambda d: d["n-samples"]["vscbench_image"].update(effective=effective))
    with pytest.raises(RecordError, match="does not say how many docs were evaluated"):
        load_run(folder)
    assert load_run(folder, allow_partial=True).partial == {"vscbench_image": (4, 1800)}


def test_a_wrong_typed_n_samples_entry_is_named(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 4})
    _edit_results(folder, lambda d: d["n-samples"].update(vscbench_image=[4]))
    with pytest.raises(RecordError, match=r"n-samples\['vscbench_image'\] is a list, not an object"):
        load_run(folder)


@pytest.mark.parametrize("logged", [[], [[]], None])
def test_a_sample_with_no_response_logged_is_refused_not_scored_as_empty(tmp_path: Path, logged: object) -> None:
    def no_response(sample: dict) -> dict:
        sample["filtered_resps"] = logged
        return sample

    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 2}, edit=no_response)
    with pytest.raises(RecordError, match="the sample holds no response"):
        load_run(folder)


def test_runs_of_different_settings_in_one_folder_are_refused(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 2, "vscbench_text_images": 2})
    later = "2026-12-01T11-00-00.000001"
    write_lm_eval_run(folder, {"vscbench_text_txt": 2}, date=later)
    document = json.loads(_results_file(folder, later).read_text())
    document["config"]["model_args"] = "pretrained=org/tiny-vlm,revision=other"
    _results_file(folder, later).write_text(json.dumps(document))
    with pytest.raises(RunNotFound, match="runs of different settings \\(model_args"):
        load_run(folder)


def test_a_samples_file_alone_is_checked_against_its_runs_results_file(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 4, "vscbench_text_txt": 3})
    image = folder / f"samples_vscbench_image_{DATE}.jsonl"
    run = load_run(image)
    assert list(run.responses) == ["vscbench_image"] and run.stamp == f"lm-eval_{DATE}_vscbench_image"
    image.write_text("".join(image.read_text().splitlines(keepends=True)[:3]))
    with pytest.raises(RecordError, match="holds 3 samples, but the run's results file says 4"):
        load_run(image)
    with pytest.raises(RecordError, match="holds the text part's vscbench_text_txt but not vscbench_text_images"):
        load_run(folder / f"samples_vscbench_text_txt_{DATE}.jsonl")
    _results_file(folder).unlink()
    with pytest.raises(RecordError, match="is missing: without its run's results file"):
        load_run(image)


def test_samples_files_without_their_results_file_are_named(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 2, "vscbench_text_images": 2})
    orphan = write_lm_eval_run(tmp_path / "other", {"vscbench_text_txt": 2}, date="2026-12-01T11-00-00.000001")
    moved = folder / "samples_vscbench_text_txt_2026-12-01T11-00-00.000001.jsonl"
    (orphan / moved.name).rename(moved)
    with pytest.raises(RecordError, match=r"samples files without their run's results file(.|\n)*text_txt"):
        load_run(folder)


def test_a_responses_file_passed_as_a_run_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "samples_vscbench_image_2026.jsonl"
    path.write_text(json.dumps({"doc_key": task_items("vscbench_image")[0].doc_key, "response": "x"}) + "\n")
    with pytest.raises(RecordError, match=r"looks like a responses file .*: pass it with --responses"):
        load_run(path)


def test_a_task_evaluated_without_its_samples_file_is_refused_or_partial(tmp_path: Path) -> None:
    """The results file says vscbench_image was evaluated; its samples file is gone (issue 14, case 5)."""
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 4, "vscbench_text_txt": 3, "vscbench_text_images": 5})
    (folder / f"samples_vscbench_image_{DATE}.jsonl").unlink()
    with pytest.raises(RecordError, match="says 4 docs of vscbench_image were evaluated, but their samples are not"):
        load_run(tmp_path)
    run = load_run(tmp_path, allow_partial=True)
    assert run.partial == {"vscbench_image": (0, 4)} and len(run.responses["vscbench_text"]) == 8


def test_json_nested_too_deep_is_refused_with_a_message(tmp_path: Path) -> None:
    folder = write_lm_eval_run(tmp_path / "m", {"vscbench_image": 2})
    samples = folder / f"samples_vscbench_image_{DATE}.jsonl"
    samples.write_text(samples.read_text() + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(RecordError, match=r":3: not a JSON line \(JSON nested too deep to read\)"):
        load_run(tmp_path)
