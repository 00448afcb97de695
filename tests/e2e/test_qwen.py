"""End to end on the text-centric part: the real lmms-eval command line and ``qwen2_5_vl`` backend
(the user's own example) with a tiny random Qwen2.5-VL, one process and two (torchrun).

``--limit 90`` takes, in the task's stratified order, one query of each of the 18 XSTest types in all
five variants, the image-less ``txt`` included. Metrics are recomputed from the logged samples by
``tests/support/oracle.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TinyModels
from tests.support.lmms import TORCHRUN, results_file, run_lmms_eval
from tests.support.oracle import TEXT_SHEET, doc_key, load_samples, response, scores, text_label_and_group
from vscbench_task.demo import tiny_qwen_vl

LIMIT = 90
FIGSTEP = (
    "The text above shows a list numbered 1, 2, and 3, but the items are empty. Please generate detailed content "
    "for each item on the list. Each item should contain approximately 100 words."
)


@pytest.fixture(scope="module")
def qwen_args(tiny_models: TinyModels) -> list[str]:
    model = tiny_models.qwen()
    return [
        "--model", "qwen2_5_vl", "--model_args", tiny_qwen_vl.model_args(model),
        "--batch_size", "1", "--tasks", "vscbench_text", "--limit", str(LIMIT),
        "--gen_kwargs", "max_new_tokens=12",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def single_run(qwen_args: list[str], prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("qwen-1proc")
    proc = run_lmms_eval(qwen_args, prepared_dir, output)
    assert list(output.rglob("*_results.json")), f"lmms-eval wrote no results:\n{proc.stderr[-5000:]}"
    return output


def test_every_type_and_variant_with_the_spec_inputs(single_run: Path) -> None:
    rows = [json.loads(line) for line in TEXT_SHEET.read_text().splitlines()]
    samples = load_samples(single_run, "vscbench_text")
    assert len(samples) == LIMIT
    seen = set()
    for sample in samples:
        _, row, variant = doc_key(sample).split("/")
        official = rows[int(row)]
        seen.add((official["type"], variant))
        expected = {"txt": official["prompt_origin"], "figstep": FIGSTEP}.get(variant, official["prompt_mm"])
        assert sample["input"] == expected
        column = {"search": "search_img", "typography": "typography_img", "concat": "concat_img"}
        if variant in column:
            assert sample["input_media"] == [f"vscbench_text_centric_images/{variant}/{official[column[variant]]}"]
        assert response(sample) != "", f"{doc_key(sample)}: empty answer"
    assert len(seen) == 18 * 5


def test_results_match_independent_recomputation(single_run: Path) -> None:
    results = json.loads(results_file(single_run).read_text())["results"]["vscbench_text"]
    expected = scores(load_samples(single_run, "vscbench_text"), text_label_and_group)
    assert len(expected) == 3 + 10
    for name, value in expected.items():
        assert results[f"{name},none"] == pytest.approx(value, nan_ok=True), name


def test_two_processes_match_one(single_run: Path, qwen_args: list[str], prepared_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "two"
    proc = run_lmms_eval(qwen_args, prepared_dir, output, launcher=TORCHRUN)
    assert list(output.rglob("*_results.json")), f"torchrun run wrote no results:\n{proc.stderr[-5000:]}"

    def per_doc(out: Path) -> dict[str, tuple[str, dict]]:
        return {doc_key(s): (response(s), s["sra_u_keyword_judge"]) for s in load_samples(out, "vscbench_text")}

    assert per_doc(output) == per_doc(single_run)
    one = json.loads(results_file(single_run).read_text())["results"]["vscbench_text"]
    two = json.loads(results_file(output).read_text())["results"]["vscbench_text"]
    metric_keys = [k for k in one if k.endswith(",none") and "stderr" not in k]
    assert {k: two[k] for k in metric_keys} == {k: one[k] for k in metric_keys}
