"""A run of a split is a first-class run: complete when it covers its split, labelled with its split and
method, and refused when it mixes splits or methods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.logged_run import samples, write_run
from vscbench_task.calibration.split import split_items
from vscbench_task.dataset.items import items
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import RunNotFound
from vscbench_task.rescore import rescore
from vscbench_task.scoring.records import RecordError


def _all(task: str, count: int) -> list[dict]:
    return samples(task, ["I cannot help with that.", "Sure, here it is."] * (count // 2 + 1))[:count]


def test_an_lmms_eval_run_of_the_evaluation_split_is_complete_and_labelled(tmp_path: Path) -> None:
    evaluation = len(split_items("image", "evaluation"))
    write_run(tmp_path, {"vscbench_image_eval": _all("vscbench_image_eval", evaluation)})
    run = load_run(tmp_path)
    assert run.split == "evaluation" and not run.partial and run.method == {"name": "baseline"}
    assert [r.doc_key for r in run.responses["vscbench_image_eval"]] == [
        i.doc_key for i in split_items("image", "evaluation")
    ]
    document = rescore(tmp_path, "keyword", tmp_path / "r.json", progress=False)
    assert document["vscbench"]["split"] == "evaluation" and "method" not in document["vscbench"]
    assert document["n-samples"]["vscbench_image_eval"] == {"original": evaluation, "effective": evaluation}


def test_a_short_split_run_is_partial_against_its_split(tmp_path: Path) -> None:
    write_run(tmp_path, {"vscbench_image_reminder": _all("vscbench_image_reminder", 20)}, {"n-samples": {}})
    with pytest.raises(RecordError, match="does not say how many docs were evaluated"):
        load_run(tmp_path)
    run = load_run(tmp_path, allow_partial=True)
    assert run.partial == {"vscbench_image_reminder": (20, len(split_items("image", "evaluation")))}


def test_the_method_and_its_parameters_come_from_the_run_s_own_results_file(tmp_path: Path) -> None:
    results = {
        "configs": {
            "vscbench_image_fewshot": {
                "metadata": {"method": "fewshot", "demonstrations_version": "v1", "split_version": "v1"},
                "lmms_eval_specific_kwargs": {"default": {"shots": 2}, "shots": 2},
            }
        },
        "system_instruction": "Be brief.",
        "config": {
            "model": "vscbench_steer",
            "model_args": "base=qwen2_5_vl,pretrained=/m,directions=/no.safetensors,alpha=2,level=head,heads=1:2;0:3",
        },
    }
    write_run(tmp_path, {"vscbench_image_fewshot": _all("vscbench_image_fewshot", 10)}, results)
    run = load_run(tmp_path, allow_partial=True)
    assert run.method["name"] == "fewshot+steer_head" and run.method["shots"] == 2
    assert run.method["system_instruction"] == "Be brief." and run.method["demonstrations_version"] == "v1"
    steering = run.method["steering"]
    assert steering["alpha"] == 2.0 and steering["heads"] == ["1:2", "0:3"] and steering["base"] == "qwen2_5_vl"
    assert steering["directions_sha256"].startswith("not readable here")


def test_a_run_mixing_methods_or_splits_is_refused_naming_its_tasks(tmp_path: Path) -> None:
    write_run(
        tmp_path,
        {task: _all(task, 4) for task in ("vscbench_image_eval", "vscbench_text_reminder")},
        {"n-samples": {}},
    )
    with pytest.raises(RunNotFound, match=r"different methods \(vscbench_image_eval: baseline, vscbench_text_reminder"):
        load_run(tmp_path, allow_partial=True)
    samples_file = next(tmp_path.glob("*_samples_vscbench_text_reminder.jsonl"))
    assert load_run(samples_file, allow_partial=True).method["name"] == "reminder"


def _responses(path: Path, keys: list[str]) -> Path:
    path.write_text("".join(json.dumps({"doc_key": k, "response": "I cannot."}) + "\n" for k in keys))
    return path


def test_a_responses_file_covering_the_evaluation_split_is_complete(tmp_path: Path) -> None:
    keys = [i.doc_key for part in ("image", "text") for i in split_items(part, "evaluation")]
    run = load_run(_responses(tmp_path / "eval.jsonl", keys))
    assert run.split == "evaluation" and not run.partial
    short = _responses(tmp_path / "short.jsonl", keys[:-1])
    with pytest.raises(RecordError, match="answers 2,069 of the 2,250 text-centric items and is no split"):
        load_run(short)
    partial = load_run(short, allow_partial=True)
    assert partial.split == "evaluation" and partial.partial == {"vscbench_text": (2069, 2070)}


def test_a_responses_file_whose_parts_cover_different_splits_is_refused(tmp_path: Path) -> None:
    keys = [i.doc_key for i in split_items("image", "evaluation")] + [i.doc_key for i in items("text")]
    with pytest.raises(RunNotFound, match="different splits"):
        load_run(_responses(tmp_path / "mixed.jsonl", keys))


def test_a_partial_part_asking_items_outside_the_other_parts_split_is_refused(tmp_path: Path) -> None:
    """One part is exactly the evaluation split, the other asks calibration items too: scored, it would be
    ranked among evaluation runs with calibration docs in it."""
    image_eval = [i.doc_key for i in split_items("image", "evaluation")]
    text_all_but_one = [i.doc_key for i in items("text")][:-1]
    text_eval_few = [i.doc_key for i in split_items("text", "evaluation")][:50]
    image_calibration = [i.doc_key for i in split_items("image", "calibration")]
    for name, keys, split in [
        ("a.jsonl", image_eval + text_all_but_one, "evaluation"),
        ("b.jsonl", image_calibration + text_eval_few, "calibration"),
    ]:
        with pytest.raises(RecordError, match=f"its other part covers the {split} split, but its text-centric lines"):
            load_run(_responses(tmp_path / name, keys), allow_partial=True)


def test_null_answers_make_their_part_partial_not_a_smaller_split(tmp_path: Path) -> None:
    """A whole-benchmark file whose calibration items all failed (null) is a partial whole-benchmark run,
    not a complete evaluation-split run."""
    calibration = {i.doc_key for part in ("image", "text") for i in split_items(part, "calibration")}
    path = tmp_path / "nulls.jsonl"
    lines = [
        {"doc_key": i.doc_key, "response": None if i.doc_key in calibration else "No."}
        for part in ("image", "text")
        for i in items(part)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(RecordError, match="is null: no answer was obtained"):
        load_run(path, responses_file=True)
    run = load_run(path, responses_file=True, allow_partial=True)
    assert run.split == "full"
    assert run.partial == {"vscbench_image": (1728, 1800), "vscbench_text": (2070, 2250)}
