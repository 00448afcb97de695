"""Names from a run are shown inert and distinguishable in every output: hidden characters escaped,
names that render alike numbered apart (issue 14, case 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.logged_run import samples, write_run
from vscbench_task import cli
from vscbench_task.inert import distinct, flat, markdown, shown

# One of each kind a reader cannot see or that reorders text, with the escape a reader should see.
HIDDEN = {
    "\u200b": "\\u200b",  # zero-width space
    "\u200d": "\\u200d",  # zero-width joiner
    "\ufeff": "\\ufeff",  # zero-width no-break space (byte-order mark)
    "\u00ad": "\\u00ad",  # soft hyphen
    "\u202e": "\\u202e",  # right-to-left override
    "\u2066": "\\u2066",  # left-to-right isolate
    "\u200f": "\\u200f",  # right-to-left mark
    "\u061c": "\\u061c",  # Arabic letter mark
    "\x00": "\\u0000",  # C0
    "\n": "\\u000a",
    "\x7f": "\\u007f",  # DEL
    "\x85": "\\u0085",  # C1: next line
    "\x9b": "\\u009b",  # C1: control sequence introducer
    "\u2028": "\\u2028",  # line separator
    "\u2029": "\\u2029",  # paragraph separator
    "\u00a0": "\\u00a0",  # no-break space: looks like a space
    "\u3164": "\\u3164",  # Hangul filler: a letter that draws as nothing
    "\ufe0f": "\\ufe0f",  # variation selector
    "\U000e0041": "\\U000e0041",  # tag character
}


@pytest.mark.parametrize(("char", "escape"), HIDDEN.items(), ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_every_hidden_character_is_shown_as_its_escape(char: str, escape: str) -> None:
    assert shown(f"model{char}b") == f"model{escape}b"


def test_visible_text_is_left_as_it_is() -> None:
    for name in ("Qwen/Qwen2.5-VL-7B-Instruct", "modèle à l'été", "模型", "model (v2) #3", "a\\u200bb"):
        assert shown(name) == name


def test_names_differing_only_by_a_hidden_character_no_longer_look_alike() -> None:
    names = ["org/model", "org/model\u200b", "org/\u202emodel"]
    assert distinct(names) == ["org/model", "org/model\\u200b", "org/\\u202emodel"]


def test_names_that_render_alike_are_numbered_apart_in_run_order() -> None:
    composed, decomposed = "mod\u00e8le", "mode\u0300le"  # one character, or e and a combining accent
    assert distinct([composed, "other", decomposed]) == [f"{composed} #1", "other", f"{decomposed} #2"]
    assert distinct(["a", "b", "a", "c", "a"]) == ["a #1", "b", "a #2", "c", "a #3"]


def test_numbering_never_makes_two_names_alike_again_nor_renames_a_unique_name() -> None:
    assert distinct(["x", "x", "x #1"]) == ["x #2", "x #3", "x #1"]
    assert distinct(["m #1", "m", "m"]) == ["m #1", "m #2", "m #3"]  # not "m #1 #2" for a run of model m
    assert distinct(["a", "a", "a #1", "a #1"]) == ["a #2", "a #3", "a #1 #1", "a #1 #2"]


def test_flat_and_markdown_keep_one_line_and_escape_the_rest() -> None:
    assert flat("a\r\nb\u2028c") == "a b\\u2028c"
    assert markdown("<b>\u202eevil\u202c</b>") == "&lt;b&gt;\\u202eevil\\u202c&lt;/b&gt;"


def test_a_name_with_bidi_and_zero_width_characters_reaches_no_report_file_raw(tmp_path: Path) -> None:
    """Two runs whose names differ only by a zero-width space, one with a bidi override and a C1 control:
    every file of the report shows them apart, and none holds a hidden character."""
    hidden = "\u200b\u202e\x85\u2028"
    for folder, name in (("a", "org/model"), ("b", "org/model\u200b"), ("c", "org/\u202emodel\x85\u2028x")):
        results = {"config": {"model": "x", "model_args": f"pretrained={name}"}}
        answered = {"vscbench_image": samples("vscbench_image", ["I cannot.", "Sure."] * 40)}
        write_run(tmp_path / folder, answered, results)
    out = tmp_path / "report"
    runs = [str(tmp_path / folder) for folder in "abc"]
    assert cli.main(["report", *runs, "--out", str(out), "--html", "--resamples", "100"]) == 0
    names = [m["name"] for m in json.loads((out / "report.json").read_text(encoding="utf-8"))["models"]]
    assert names == ["org/model", "org/model\\u200b", "org/\\u202emodel\\u0085\\u2028x"]
    for written in out.iterdir():
        if written.suffix in (".md", ".html", ".json"):
            text = written.read_text(encoding="utf-8")
            assert not [c for c in hidden if c in text], written.name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "org/model\\u200b" in report and "org/\\u202emodel" in report
