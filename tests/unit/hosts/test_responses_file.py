"""``rescore --responses``: a plain JSON Lines file of doc_key + response from any generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vscbench_task.dataset.items import items
from vscbench_task.hosts.responses_file.reader import load_responses
from vscbench_task.scoring.records import RecordError


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_both_parts_in_one_file_become_the_two_tasks(tmp_path: Path) -> None:
    image, text = items("image")[:3], items("text")[:2]
    lines = [{"doc_key": i.doc_key, "response": "I cannot.", "model": "x"} for i in image]
    lines += [{"doc_key": i.doc_key, "response": ""} for i in text]
    run = load_responses(_write(tmp_path / "my-model.jsonl", [*lines, ""]), allow_partial=True)
    assert run.host == "responses" and run.model == "my-model"
    assert run.partial == {"vscbench_image": (3, 1800), "vscbench_text": (2, 2250)}
    assert [r.doc_key for r in run.responses["vscbench_image"]] == [i.doc_key for i in image]
    assert [r.response for r in run.responses["vscbench_text"]] == ["", ""]


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
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deep to read"),
        ({"doc_key": "image/001/safe/0", "response": None}, "is null: no answer was obtained"),
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


def _full(part: str, response: str = "I cannot.") -> list[dict]:
    return [{"doc_key": item.doc_key, "response": response} for item in items(part)]


def test_a_part_with_items_missing_is_refused_unless_partial_runs_are_allowed(tmp_path: Path) -> None:
    lines = _full("image") + [line for line in _full("text") if not line["doc_key"].endswith("/txt")]
    path = _write(tmp_path / "no-txt.jsonl", lines)
    with pytest.raises(RecordError, match="answers 1,800 of the 2,250 text-centric items"):
        load_responses(path)
    run = load_responses(path, allow_partial=True)
    assert run.partial == {"vscbench_text": (1800, 2250)} and len(run.responses["vscbench_image"]) == 1800


def test_a_key_given_twice_in_one_line_is_refused(tmp_path: Path) -> None:
    key = items("image")[0].doc_key
    path = tmp_path / "r.jsonl"
    path.write_text(f'{{"doc_key": "{key}", "response": "I cannot.", "response": "Sure."}}\n')
    with pytest.raises(RecordError, match=r"r.jsonl:1: not a JSON line \(the key 'response' appears twice"):
        load_responses(path)


def test_line_separators_inside_strings_and_a_byte_order_mark_are_read_as_json_lines(tmp_path: Path) -> None:
    lines = _full("image", "Sure.\u2028Next\u2029line\u0085end")
    path = tmp_path / "r.jsonl"
    path.write_text(
        "\ufeff" + "".join(json.dumps(line, ensure_ascii=False) + "\r\n" for line in lines), encoding="utf-8"
    )
    run = load_responses(path)
    assert {r.response for r in run.responses["vscbench_image"]} == {"Sure.\u2028Next\u2029line\u0085end"}


def test_a_null_response_is_no_answer_not_an_empty_one(tmp_path: Path) -> None:
    """A batch script's failed calls (null) were once scored as empty answers, i.e. refusals: all-null gave
    SRA_u 1.000 / SRA_s 0.000 with exit 0 (issue 14, case 4). "" keeps the official empty reading."""
    lines = _full("image", "Sure.")
    lines[0]["response"], lines[1]["response"] = None, ""
    path = _write(tmp_path / "r.jsonl", lines)
    with pytest.raises(RecordError, match=r"r.jsonl:1: the response of image/000/safe/0 is null"):
        load_responses(path)
    run = load_responses(path, allow_partial=True)
    assert run.partial == {"vscbench_image": (1799, 1800)}
    kept = {r.doc_key: r.response for r in run.responses["vscbench_image"]}
    assert "image/000/safe/0" not in kept and kept["image/050/safe/0"] == ""
    every = _write(tmp_path / "all-null.jsonl", [{**line, "response": None} for line in _full("image")])
    with pytest.raises(RecordError, match="is null"):
        load_responses(every)
    with pytest.raises(RecordError, match="every response is null"):
        load_responses(every, allow_partial=True)
