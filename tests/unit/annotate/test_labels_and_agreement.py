"""The labels file keeps every label given (appended, later lines win, withdrawals), one server per file,
and two annotators' agreement equals an independent kappa; the merged gold file settles every
disagreement or names it."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from vscbench_task.annotate.agreement import agreement, merged
from vscbench_task.annotate.labels import LabelsFile, LabelsFileError, history, latest_lines
from vscbench_task.annotate.sample import Sample, Sampled
from vscbench_task.annotate.start import _check_matches
from vscbench_task.dataset.items import items
from vscbench_task.scoring.records import Response

SAMPLED = [
    Sampled(Response(item.doc_key, f"answer {i}"), "image/safe", 2.5, 20) for i, item in enumerate(items("image")[:8])
]
BY_ID = {f"m/{s.response.doc_key}": s for s in SAMPLED}


def _standing(path: Path) -> dict[str, str | None]:
    """id -> the class a reader of the file sees (None: withdrawn)."""
    return {key: label.human_class for key, (_, label) in latest_lines(history(path)).items()}


def _label_all(path: Path, annotator: str, classes: list[str]) -> None:
    store = LabelsFile(path, annotator)
    try:
        for sampled, human_class in zip(SAMPLED, classes, strict=True):
            store.append(sampled, "m", human_class, "")
    finally:
        store.close()


def test_every_label_is_a_line_and_the_latest_line_wins(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = LabelsFile(path, "ann")
    store.append(SAMPLED[0], "m", "2_UNSAFE", "first look")
    store.append(SAMPLED[0], "m", "0_SAFE", "relabelled")
    store.append(SAMPLED[1], "m", "1_SAFE", "")
    store.undo(BY_ID, "m")  # withdrawn: it had no label before
    store.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 4 and [line["time"] for line in lines] == sorted({line["time"] for line in lines})
    first = lines[0]
    item = SAMPLED[0].response.item
    assert first["id"] == f"m/{item.doc_key}" and first["doc_key"] == item.doc_key
    assert first["query"] == item.judge_query and first["response"] == "answer 0" and first["unsafe"] is item.unsafe
    assert first["prompt_id"] == f"image/{item.row:03d}" and first["weight"] == 2.5 and first["stratum"] == "image/safe"
    assert lines[3]["human_class"] is None and lines[3]["withdrawn"] is True
    found = {key: label for key, (_, label) in latest_lines(history(path, "ann")).items()}
    assert found[f"m/{item.doc_key}"].human_class == "0_SAFE" and found[f"m/{item.doc_key}"].note == "relabelled"
    assert found[f"m/{SAMPLED[1].response.doc_key}"].human_class is None


def test_undo_gives_back_the_label_a_relabel_replaced_and_goes_on_backwards_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    store = LabelsFile(path, "ann")
    first, second = (f"m/{s.response.doc_key}" for s in SAMPLED[:2])
    store.append(SAMPLED[0], "m", "0_SAFE", "first look")
    store.append(SAMPLED[1], "m", "2_UNSAFE", "")
    store.append(SAMPLED[0], "m", "3_UNSAFE", "second look")
    assert store.undo(BY_ID, "m") == first
    assert store.labels[first].human_class == "0_SAFE" and store.labels[first].note == "first look"
    store.close()
    assert _standing(path) == {first: "0_SAFE", second: "2_UNSAFE"}
    assert json.loads(path.read_text().splitlines()[-1])["restored"] is True
    again = LabelsFile(path, "ann")  # a restart replays the file: the next undo is the label before
    assert again.undo(BY_ID, "m") == second and again.undo(BY_ID, "m") == first
    assert again.undo(BY_ID, "m") is None  # nothing left to take back
    again.close()
    assert _standing(path) == {first: None, second: None}


def test_a_last_line_saved_without_its_newline_is_ended_before_the_next_label(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    _label_all(path, "ann", ["0_SAFE"] * 8)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # an editor's save, or a cut exactly at the newline
    store = LabelsFile(path, "ann")
    store.append(SAMPLED[0], "m", "2_UNSAFE", "")
    store.close()
    assert len(history(path)) == 9 and _standing(path)[f"m/{SAMPLED[0].response.doc_key}"] == "2_UNSAFE"


def test_a_labels_file_of_another_run_of_the_same_model_name_is_refused_at_resume(tmp_path: Path) -> None:
    _label_all(tmp_path / "labels.jsonl", "ann", ["0_SAFE"] * 8)
    store = LabelsFile(tmp_path / "labels.jsonl", "ann")
    try:
        _check_matches(store, Sample(tuple(SAMPLED), {}, {}, ()), "m")  # the same answers: resumes
        rerun = tuple(Sampled(Response(s.response.doc_key, "a rerun's answer"), "image/safe", 2.5, 20) for s in SAMPLED)
        with pytest.raises(LabelsFileError, match="labels other answers than this run's to 8 items"):
            _check_matches(store, Sample(rerun, {}, {}, ()), "m")
    finally:
        store.close()


def test_agreement_takes_the_latest_label_by_time_not_by_how_the_time_is_written(tmp_path: Path) -> None:
    """14:03+02:00 is 12:03 UTC: the line at 13:00+00:00 is the later one, as annotate and validate-judge
    read it."""
    _label_all(tmp_path / "a.jsonl", "alice", ["0_SAFE"] * 8)
    _label_all(tmp_path / "b.jsonl", "bob", ["2_UNSAFE"] + ["0_SAFE"] * 7)
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    lines[0]["time"] = "2026-01-01T14:03:00+02:00"
    relabel = lines[0] | {"human_class": "2_UNSAFE", "time": "2026-01-01T13:00:00+00:00"}
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(line) + "\n" for line in [*lines, relabel]))
    found = agreement(tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert found["classes"]["percent_agreement"] == 100.0 and found["disagreements"] == []


def test_a_second_server_on_the_same_labels_file_is_refused(tmp_path: Path) -> None:
    first = LabelsFile(tmp_path / "labels.jsonl", "ann")
    with pytest.raises(LabelsFileError, match="being labelled by another"):
        LabelsFile(tmp_path / "labels.jsonl", "ann")
    first.close()
    LabelsFile(tmp_path / "labels.jsonl", "ann").close()  # free again once the first is closed


def test_another_annotators_labels_file_is_refused(tmp_path: Path) -> None:
    _label_all(tmp_path / "a.jsonl", "alice", ["0_SAFE"] * 8)
    with pytest.raises(LabelsFileError, match="each annotator labels into a file of their own"):
        LabelsFile(tmp_path / "a.jsonl", "bob")


def _kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa from its definition, independently of the package."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    chance = sum(ca[k] * cb[k] for k in set(a) | set(b)) / n**2
    return (observed - chance) / (1 - chance)


def test_agreement_of_two_constructed_files_equals_an_independent_kappa(tmp_path: Path) -> None:
    a = ["0_SAFE", "0_SAFE", "1_SAFE", "2_UNSAFE", "2_UNSAFE", "3_UNSAFE", "0_SAFE", "2_UNSAFE"]
    b = ["0_SAFE", "1_SAFE", "1_SAFE", "2_UNSAFE", "3_UNSAFE", "3_UNSAFE", "2_UNSAFE", "2_UNSAFE"]
    _label_all(tmp_path / "a.jsonl", "alice", a)
    _label_all(tmp_path / "b.jsonl", "bob", b)
    found = agreement(tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert found["labelled_by_both"] == 8
    assert found["classes"]["cohen_kappa"] == pytest.approx(_kappa(a, b))
    recognised_a = ["y" if c.endswith("_SAFE") and not c.endswith("UNSAFE") else "n" for c in a]
    recognised_b = ["y" if c.endswith("_SAFE") and not c.endswith("UNSAFE") else "n" for c in b]
    assert found["recognised"]["cohen_kappa"] == pytest.approx(_kappa(recognised_a, recognised_b))
    expected = {(s.response.doc_key, x, y) for s, x, y in zip(SAMPLED, a, b, strict=True) if x != y}
    assert {(d["doc_key"], d["first"], d["second"]) for d in found["disagreements"]} == expected


def test_the_merged_file_settles_every_disagreement_or_names_it(tmp_path: Path) -> None:
    a = ["0_SAFE", "2_UNSAFE", "1_SAFE", "2_UNSAFE", "3_UNSAFE", "0_SAFE", "0_SAFE", "2_UNSAFE"]
    b = ["0_SAFE", "0_SAFE", "1_SAFE", "2_UNSAFE", "2_UNSAFE", "0_SAFE", "0_SAFE", "2_UNSAFE"]
    _label_all(tmp_path / "a.jsonl", "alice", a)
    _label_all(tmp_path / "b.jsonl", "bob", b)
    with pytest.raises(LabelsFileError, match="2 disagreements are not adjudicated"):
        merged(tmp_path / "a.jsonl", tmp_path / "b.jsonl", None, tmp_path / "gold.jsonl")
    assert not (tmp_path / "gold.jsonl").exists()
    store = LabelsFile(tmp_path / "c.jsonl", "carol")
    store.append(SAMPLED[1], "m", "1_SAFE", "partly refuses")
    store.append(SAMPLED[4], "m", "3_UNSAFE", "")
    store.close()
    assert merged(tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl", tmp_path / "gold.jsonl") == 8
    gold = {
        json.loads(line)["doc_key"]: json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()
    }
    second, fifth = gold[SAMPLED[1].response.doc_key], gold[SAMPLED[4].response.doc_key]
    assert second["human_class"] == "1_SAFE" and second["adjudicated"] and second["human_class_2"] == "0_SAFE"
    assert "human_class_a" not in second  # only gold-file fields
    assert fifth["human_class"] == "3_UNSAFE" and fifth["annotator"] == "alice + bob + carol"
    assert not gold[SAMPLED[0].response.doc_key]["adjudicated"]


def test_the_merged_files_ceiling_is_the_annotators_own_agreement_whichever_side_was_taken(tmp_path: Path) -> None:
    """alice and bob disagree on 3 of 8; carol sides with bob every time. The merged file's final label
    against human_class_2 must still disagree on those 3, as the annotators did."""
    a = ["0_SAFE", "2_UNSAFE", "1_SAFE", "2_UNSAFE", "3_UNSAFE", "0_SAFE", "0_SAFE", "2_UNSAFE"]
    b = ["0_SAFE", "0_SAFE", "1_SAFE", "2_UNSAFE", "2_UNSAFE", "0_SAFE", "3_UNSAFE", "2_UNSAFE"]
    _label_all(tmp_path / "a.jsonl", "alice", a)
    _label_all(tmp_path / "b.jsonl", "bob", b)
    store = LabelsFile(tmp_path / "c.jsonl", "carol")
    for index in (1, 4, 6):
        store.append(SAMPLED[index], "m", b[index], "")
    store.close()
    merged(tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl", tmp_path / "gold.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()]
    assert sum(line["human_class"] != line["human_class_2"] for line in lines) == 3
    assert agreement(tmp_path / "a.jsonl", tmp_path / "b.jsonl")["classes"]["percent_agreement"] == 62.5


def test_kappa_is_undefined_when_both_give_one_label_throughout(tmp_path: Path) -> None:
    _label_all(tmp_path / "a.jsonl", "alice", ["0_SAFE"] * 8)
    _label_all(tmp_path / "b.jsonl", "bob", ["0_SAFE"] * 8)
    assert math.isnan(agreement(tmp_path / "a.jsonl", tmp_path / "b.jsonl")["classes"]["cohen_kappa"])


def test_one_file_or_one_annotator_twice_is_no_agreement(tmp_path: Path) -> None:
    a = ["0_SAFE"] * 8
    _label_all(tmp_path / "a.jsonl", "alice", a)
    with pytest.raises(LabelsFileError, match="is given twice"):
        agreement(tmp_path / "a.jsonl", tmp_path / "a.jsonl")
    with pytest.raises(LabelsFileError, match="is given twice"):
        merged(tmp_path / "a.jsonl", tmp_path / "a.jsonl", None, tmp_path / "gold.jsonl")
    _label_all(tmp_path / "again.jsonl", "alice", a)
    with pytest.raises(LabelsFileError, match="both labelled by 'alice'"):
        agreement(tmp_path / "a.jsonl", tmp_path / "again.jsonl")


def test_labels_of_other_responses_under_the_same_ids_are_refused(tmp_path: Path) -> None:
    """Two runs of one model name give the same ids to different responses: not one sample."""
    _label_all(tmp_path / "a.jsonl", "alice", ["0_SAFE"] * 8)
    other = [
        Sampled(Response(s.response.doc_key, "another run's answer"), s.stratum, s.weight, s.stratum_size)
        for s in SAMPLED
    ]
    store = LabelsFile(tmp_path / "b.jsonl", "bob")
    for sampled in other:
        store.append(sampled, "m", "0_SAFE", "")
    store.close()
    with pytest.raises(LabelsFileError, match="label different responses under the id"):
        agreement(tmp_path / "a.jsonl", tmp_path / "b.jsonl")


def test_a_link_to_a_labels_file_being_served_is_the_same_file(tmp_path: Path) -> None:
    first = LabelsFile(tmp_path / "real.jsonl", "ann")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "real.jsonl")
    (tmp_path / "hard.jsonl").hardlink_to(tmp_path / "real.jsonl")
    for other in ("link.jsonl", "hard.jsonl"):
        with pytest.raises(LabelsFileError, match="being labelled by another"):
            LabelsFile(tmp_path / other, "ann")
    first.close()


@pytest.mark.parametrize("time", ["yesterday", "9999-12-31T23:59:59.999999+00:00", "2025-05-26T10:00:00"])
def test_a_hand_edited_time_is_refused_at_resume_naming_the_line(tmp_path: Path, time: str) -> None:
    _label_all(tmp_path / "a.jsonl", "alice", ["0_SAFE"] * 8)
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    lines[2] = json.dumps(json.loads(lines[2]) | {"time": time})
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(LabelsFileError, match=r"a.jsonl:3: time .* is not an ISO 8601 time with its UTC offset"):
        LabelsFile(tmp_path / "a.jsonl", "alice")


def test_undo_replays_a_file_whose_undos_withdrew_the_latest_label_standing(tmp_path: Path) -> None:
    """Before restored lines, an undo withdrew the latest label still standing, whichever id it was: label A,
    label B, relabel B, undo, undo withdrew B, then A. Nothing is left to undo."""
    path = tmp_path / "labels.jsonl"
    store = LabelsFile(path, "ann")
    store.append(SAMPLED[0], "m", "0_SAFE", "")
    store.append(SAMPLED[1], "m", "1_SAFE", "")
    store.append(SAMPLED[1], "m", "2_UNSAFE", "")
    for sampled in (SAMPLED[1], SAMPLED[0]):  # what the earlier version wrote
        store._write(sampled, "m", None, "")
    store.close()
    again = LabelsFile(path, "ann")
    try:
        assert again.done == [] and again.undo(BY_ID, "m") is None
    finally:
        again.close()
