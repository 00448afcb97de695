"""``vscbench export``: the benchmark as requests for other generators, every item exactly once."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from vscbench_task.cli import main as cli_main
from vscbench_task.dataset import generation
from vscbench_task.dataset.datadir import DataNotPreparedError
from vscbench_task.dataset.items import PARTS, item_index, items
from vscbench_task.guides import guide
from vscbench_task.hosts.responses_file.export import ExportError, export
from vscbench_task.hosts.responses_file.reader import load_responses
from vscbench_task.output_files import OutputUnwritable


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
    with_image = [item for part in PARTS for item in items(part) if item.image is not None]
    assert [row["index"] for row in rows] == [item.doc_key for item in with_image] and len(rows) == 3600
    for row in rows:
        item = item_index()[row["index"]]
        assert row["question"] == item.prompt and row["split"] == item.part and row["category"] == item.category
        assert Path(row["image_path"]).is_file() and row["image_path"].endswith(item.image)
    assert any("\n" in item.prompt for part in PARTS for item in items(part)), "the round trip should cover newlines"


def test_export_needs_prepared_images(tmp_path: Path) -> None:
    with pytest.raises(DataNotPreparedError):
        export(tmp_path / "r.jsonl", "requests", tmp_path / "nothing-here")
    assert not (tmp_path / "r.jsonl").exists()


def test_the_vlmevalkit_recipe_turns_its_predictions_into_a_responses_file_rescore_reads(
    prepared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hosts guide's conversion, run as written on a prediction file shaped as VLMEvalKit writes it."""
    import pandas as pd

    text = guide("hosts").read_text(encoding="utf-8")
    block = text.split("<!-- tested: vlmevalkit-convert", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    export(tmp_path / "VSCBench.tsv", "vlmevalkit", prepared_dir)
    with open(tmp_path / "VSCBench.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    answers = ["", "None", "N/A", "nan", "null", "Sure."]  # only "" is an empty answer; the rest are text
    rows = [row | {"prediction": answers[i % len(answers)]} for i, row in enumerate(rows)]
    folder = tmp_path / "outputs" / "Qwen2-VL-7B-Instruct"
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_excel(folder / "Qwen2-VL-7B-Instruct_VSCBench.xlsx", index=False)
    txt = [item.doc_key for item in items("text") if item.image is None]
    (tmp_path / "txt_responses.jsonl").write_text(
        "".join(json.dumps({"doc_key": k, "response": "Sure."}) + "\n" for k in txt)
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "hosts.md", "exec"), {})
    run = load_responses(tmp_path / "responses.jsonl")
    assert {task: len(found) for task, found in run.responses.items()} == {
        "vscbench_image": 1800,
        "vscbench_text": 2250,
    }
    answered = {r.doc_key: r.response for responses in run.responses.values() for r in responses}
    for i, row in enumerate(rows):
        assert answered[row["index"]] == answers[i % len(answers)], row["index"]


def test_export_refuses_a_changed_image_and_an_unwritable_target(prepared_dir: Path, tmp_path: Path) -> None:
    changed = tmp_path / "data"
    shutil.copytree(prepared_dir, changed)
    image = next(item.image for item in items("image"))
    target = next(changed.glob(f"*/{image}"))
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(DataNotPreparedError, match=image.rsplit("/", 1)[-1]):
        export(tmp_path / "r.jsonl", "requests", changed)
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(OutputUnwritable, match="is a folder"):
        export(tmp_path / "a-folder", "requests", prepared_dir)
    assert (
        cli_main(
            ["export", "--format", "requests", "--out", str(tmp_path / "r.jsonl" / "x"), "--data-dir", str(changed)]
        )
        == 1
    )


def test_export_never_writes_over_the_manifest_or_a_special_file(prepared_dir: Path, tmp_path: Path) -> None:
    """export --out once replaced the data directory's own manifest, and a link to /proc/self/fd/1 (what
    /dev/stdout is) with a regular file (issue 14, case 9)."""
    manifest = prepared_dir / "manifest.json"
    before = manifest.read_bytes()
    with pytest.raises(OutputUnwritable, match=r"manifest.json is one of the inputs this command reads"):
        export(manifest, "requests", prepared_dir)
    assert manifest.read_bytes() == before
    link = tmp_path / "stdout-link"
    link.symlink_to("/proc/self/fd/1")
    with pytest.raises(OutputUnwritable, match=r"stdout-link \(a link to .*\) is not a regular file"):
        export(link, "requests", prepared_dir)
    assert link.is_symlink()


def test_export_to_dev_stdout_writes_through(prepared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["export", "--format", "requests", "--out", "/dev/stdout", "--data-dir", str(prepared_dir)]) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert len(lines) == 4050 and json.loads(lines[0])["doc_key"] == items("image")[0].doc_key
    assert "/dev/stdout: 4,050 requests (requests)" in printed.err  # the count stays out of the pipe


def test_an_evaluation_split_export_answered_in_full_is_a_complete_split_run(
    prepared_dir: Path, tmp_path: Path
) -> None:
    from vscbench_task.calibration.split import split_items

    count = export(tmp_path / "eval.jsonl", "requests", prepared_dir, split="evaluation")
    rows = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text(encoding="utf-8").splitlines()]
    assert count == 1728 + 2070 and [r["doc_key"] for r in rows] == [
        i.doc_key for part in PARTS for i in split_items(part, "evaluation")
    ]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"doc_key": r["doc_key"], "response": "Sure."}) + "\n" for r in rows))
    run = load_responses(answers)
    assert run.split == "evaluation" and not run.partial


def test_a_method_export_carries_the_reminder_or_the_demonstrations(prepared_dir: Path, tmp_path: Path) -> None:
    from vscbench_task.calibration import prompting

    export(tmp_path / "reminder.jsonl", "requests", prepared_dir, split="evaluation", method="reminder")
    first = json.loads((tmp_path / "reminder.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["system_prompt"] == prompting.REMINDER
    export(tmp_path / "fewshot.jsonl", "requests", prepared_dir, split="evaluation", method="fewshot", shots=2)
    for line in (tmp_path / "fewshot.jsonl").read_text(encoding="utf-8").splitlines()[:50]:
        row = json.loads(line)
        demos = prompting.demonstrations(item_index()[row["doc_key"]], 2)
        assert [(d["prompt"], d["answer"]) for d in row["demonstrations"]] == [(d.item.prompt, d.answer) for d in demos]
        for sent, demo in zip(row["demonstrations"], demos, strict=True):
            assert (sent["image"] is None) == (demo.item.image is None)
            assert sent["image"] is None or (Path(sent["image"]).is_file() and sent["image"].endswith(demo.item.image))
    with pytest.raises(ExportError, match="--method needs --format requests"):
        export(tmp_path / "x.tsv", "vlmevalkit", prepared_dir, method="reminder")
