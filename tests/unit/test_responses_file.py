"""``rescore --responses``: a plain JSON Lines file of doc_key + response from any generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vscbench_task.dataset.items import items
from vscbench_task.responses_file import load_responses
from vscbench_task.scoring.records import RecordError


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_both_parts_in_one_file_become_the_two_tasks(tmp_path: Path) -> None:
    image, text = items("image")[:3], items("text")[:2]
    lines = [{"doc_key": i.doc_key, "response": "I cannot.", "model": "x"} for i in image]
    lines += [{"doc_key": i.doc_key, "response": None} for i in text]
    run = load_responses(_write(tmp_path / "my-model.jsonl", [*lines, ""]))
    assert run.host == "responses" and run.model == "my-model"
    assert [r.doc_key for r in run.responses["vscbench_image"]] == [i.doc_key for i in image]
    assert [r.response for r in run.responses["vscbench_text"]] == [None, None]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"doc_key": "image/999/safe/0", "response": "x"}, "is not a VSCBench item"),
        ({"doc_key": 7, "response": "x"}, "is not a VSCBench item"),
        ({"response": "x"}, 'with "doc_key" and "response"'),
        ({"doc_key": "image/001/safe/0"}, 'with "doc_key" and "response"'),
        ({"doc_key": "image/001/safe/0", "response": ["x"]}, "is a list, not text"),
        ('{"doc_key": "image/001/safe/0", "response": "x"', "not a JSON line"),
        ('["image/001/safe/0", "x"]', 'with "doc_key" and "response"'),
    ],
)
def test_a_bad_line_is_refused_with_its_line_number(tmp_path: Path, line: object, message: str) -> None:
    good = {"doc_key": items("image")[0].doc_key, "response": "ok"}
    with pytest.raises(RecordError, match=message) as err:
        load_responses(_write(tmp_path / "r.jsonl", [good, line]))
    assert f"{tmp_path / 'r.jsonl'}:2" in str(err.value)


def test_an_item_answered_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    key = items("text")[5].doc_key
    path = _write(tmp_path / "r.jsonl", [{"doc_key": key, "response": "a"}, {"doc_key": key, "response": "a"}])
    with pytest.raises(RecordError, match=rf"{key} is answered again \(first at .*r.jsonl:1\)"):
        load_responses(path)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xff\xfe not text"])
def test_an_empty_or_unreadable_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(content)
    with pytest.raises(RecordError, match=r"no responses in it|cannot be read"):
        load_responses(path)
