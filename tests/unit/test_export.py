"""``vscbench export``: the benchmark as requests for other generators, every item exactly once."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from vscbench_task.cli import main as cli_main
from vscbench_task.dataset import generation
from vscbench_task.dataset.datadir import DataNotPreparedError
from vscbench_task.dataset.items import PARTS, item_index, items
from vscbench_task.export import export


def test_requests_hold_every_item_once_with_its_prompt_image_and_settings(prepared_dir: Path, tmp_path: Path) -> None:
    count = export(tmp_path / "requests.jsonl", "requests", prepared_dir)
    rows = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text(encoding="utf-8").splitlines()]
    assert count == len(rows) == sum(len(items(part)) for part in PARTS)
    assert [row["doc_key"] for row in rows] == [item.doc_key for part in PARTS for item in items(part)]
    for row in rows:
        item = item_index()[row["doc_key"]]
        assert (row["part"], row["prompt"]) == (item.part, item.prompt)
        assert row["max_tokens"] == generation.MAX_NEW_TOKENS and row["temperature"] == 0.0
        assert row["system_prompt"] is None
        if item.image is None:
            assert row["image"] is None
        else:
            assert Path(row["image"]).is_absolute() and Path(row["image"]).is_file()
            assert row["image"].endswith(item.image)


def test_the_vlmevalkit_tsv_keeps_prompts_with_tabs_and_newlines_intact(prepared_dir: Path, tmp_path: Path) -> None:
    assert (
        cli_main(
            ["export", "--format", "vlmevalkit", "--out", str(tmp_path / "v.tsv"), "--data-dir", str(prepared_dir)]
        )
        == 0
    )
    with open(tmp_path / "v.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [row["index"] for row in rows] == [item.doc_key for part in PARTS for item in items(part)]
    for row in rows:
        item = item_index()[row["index"]]
        assert row["question"] == item.prompt and row["split"] == item.part and row["category"] == item.category
        assert (row["image_path"] == "") == (item.image is None)
    assert any("\n" in item.prompt for part in PARTS for item in items(part)), "the round trip should cover newlines"


def test_export_needs_prepared_images(tmp_path: Path) -> None:
    with pytest.raises(DataNotPreparedError):
        export(tmp_path / "r.jsonl", "requests", tmp_path / "nothing-here")
    assert not (tmp_path / "r.jsonl").exists()
