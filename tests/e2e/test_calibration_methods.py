"""End to end: the prompt-based calibration tasks through the real lmms-eval command line.

What reaches the model is observed where it arrives: the replay model server logs every message of
every request (lmms-eval's ``openai`` chat backend), and the tiny Qwen2.5-VL's ``generate`` records the
prompt's token ids (``tests/support/probe_generate.py``). The expectations are built here from the
packaged reminder and demonstrations and the prepared files, not read from lmms-eval's logged inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TinyModels
from tests.support.lmms import (
    LMMS_TASKS_DIR,
    REPO,
    inspect_env,
    offline_env,
    results_file,
    run_lmms_eval,
    run_vscbench,
)
from tests.support.oracle import doc_key, load_samples
from tests.support.replay import pixels_sha
from tests.support.replay_server import ReplayProcess
from vscbench_task.calibration import prompting
from vscbench_task.calibration.split import split_items
from vscbench_task.dataset import datadir
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.images import rgb_from_bytes
from vscbench_task.dataset.items import Item
from vscbench_task.demo import tiny_qwen_vl

OWN_SYSTEM = "Answer briefly."
PROBE = [sys.executable, str(REPO / "tests" / "support" / "probe_generate.py")]
LIMIT = 2


def _image_sha(data_dir: Path, item: Item) -> list[str]:
    if item.image is None:
        return []
    snapshot, files = datadir.prepared_files(data_dir)
    data = datadir.read_checked(snapshot, item.image, files[item.image])
    return [pixels_sha(rgb_from_bytes(data, name=item.image))]


def _message(role: str, text: str, images: list[str] | None = None) -> dict[str, Any]:
    return {"role": role, "text": text, "images": images or []}


def _expected(data_dir: Path, method: str, item: Item) -> list[dict[str, Any]]:
    """The messages a chat backend must send for ``item`` under ``method``, from the packaged method."""
    query = _message("user", item.prompt, _image_sha(data_dir, item))
    if method == "baseline":
        return [query]
    if method == "reminder":
        return [_message("system", f"{OWN_SYSTEM}\n\n{prompting.REMINDER}"), query]
    demos = []
    for demo in prompting.demonstrations(item, prompting.DEFAULT_SHOTS):
        demos += [
            _message("user", demo.item.prompt, _image_sha(data_dir, demo.item)),
            _message("assistant", demo.answer),
        ]
    return [_message("system", OWN_SYSTEM), *demos, query]


TASKS = {
    "vscbench_image_eval": ("image", "baseline"),
    "vscbench_image_fewshot": ("image", "fewshot"),
    "vscbench_text_fewshot": ("text", "fewshot"),
    "vscbench_text_reminder": ("text", "reminder"),
}


@pytest.fixture(scope="module")
def replayed(prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    work = tmp_path_factory.mktemp("methods-replay")
    with ReplayProcess(work / "calls.jsonl", ["--conversations"]) as model:
        args = ["--model", "openai", "--model_args", f"model_version=replay,base_url={model.url},api_key=EMPTY"]
        args += ["--tasks", ",".join(TASKS), "--limit", str(LIMIT), "--system_instruction", OWN_SYSTEM]
        proc = run_lmms_eval(args, prepared_dir, work / "out")
        assert list((work / "out").rglob("*_results.json")), f"no results:\n{proc.stderr[-4000:]}"
        return work / "out", model.calls()


def test_chat_backends_get_exactly_the_reminder_and_the_demonstrations_with_their_images(
    replayed: tuple[Path, list[dict]], prepared_dir: Path
) -> None:
    _, calls = replayed
    expected = [
        _expected(prepared_dir, method, item)
        for part, method in TASKS.values()
        for item in split_items(part, "evaluation")[:LIMIT]
    ]
    assert sorted(json.dumps(c["messages"]) for c in calls) == sorted(json.dumps(e) for e in expected)
    fewshot = [c for c in calls if len(c["messages"]) == 2 + 2 * prompting.DEFAULT_SHOTS]
    assert len(fewshot) == 2 * LIMIT
    for call in fewshot:
        demos = call["messages"][1:-1]
        assert [m["role"] for m in demos] == ["user", "assistant"] * prompting.DEFAULT_SHOTS
        query_has_image = bool(call["messages"][-1]["images"])
        assert all(bool(m["images"]) == query_has_image for m in demos if m["role"] == "user")


def test_no_evaluation_doc_s_prompt_is_among_the_demonstrations(replayed: tuple[Path, list[dict]]) -> None:
    _, calls = replayed
    evaluation = {i.prompt for part in ("image", "text") for i in split_items(part, "evaluation")} - {md.FIGSTEP_PROMPT}
    demos = [m for c in calls for m in c["messages"][1:-1] if m["role"] == "user"]
    assert demos and not {m["text"] for m in demos} & evaluation


def test_the_method_tasks_cover_the_eval_task_s_docs_and_record_the_method(replayed: tuple[Path, list[dict]]) -> None:
    output, _ = replayed
    assert [doc_key(s) for s in load_samples(output, "vscbench_image_eval")] == [
        doc_key(s) for s in load_samples(output, "vscbench_image_fewshot")
    ]
    results = json.loads(results_file(output).read_text())
    metadata = results["configs"]["vscbench_text_reminder"]["metadata"]
    assert metadata["method"] == "reminder" and metadata["reminder"] == prompting.REMINDER
    assert results["configs"]["vscbench_image_fewshot"]["lmms_eval_specific_kwargs"]["shots"] == 4
    assert results["system_instruction"] == OWN_SYSTEM


def _probe(runs: list[dict[str, Any]], data_dir: Path, work: Path) -> list[dict]:
    """Every generate call of the lmms-eval ``runs`` (one ``--config`` list, one process)."""
    log = work / "probe.jsonl"
    (work / "suite.yaml").write_text(json.dumps(runs))  # JSON is YAML
    command = [*PROBE, "--config", str(work / "suite.yaml"), "--include_path", str(LMMS_TASKS_DIR)]
    env = offline_env(data_dir, VSCBENCH_PROBE_LOG=str(log))
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=work)
    for run in runs:
        assert list(Path(run["output_path"]).rglob("*_results.json")), f"no results:\n{proc.stderr[-4000:]}"
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_the_tiny_qwen_gets_the_reminder_as_system_message_on_chat_and_as_pre_prompt_on_simple(
    tiny_models: TinyModels, prepared_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoProcessor

    model = tiny_models.qwen()
    processor = AutoProcessor.from_pretrained(model)

    def seen(ids: list[int]) -> str:
        return processor.tokenizer.decode(ids)

    def rendered(text: str) -> str:
        return seen(processor.tokenizer(text)["input_ids"])

    base = {"model": "qwen2_5_vl", "model_args": tiny_qwen_vl.model_args(model), "limit": LIMIT}
    base |= {"gen_kwargs": "max_new_tokens=2", "log_samples": True}
    runs = [
        base | {"tasks": "vscbench_text_reminder,vscbench_image_fewshot", "output_path": str(tmp_path / "chat")},
        base | {"tasks": "vscbench_text_reminder", "force_simple": True, "output_path": str(tmp_path / "simple")},
    ]
    probed = _probe(runs, prepared_dir, tmp_path)
    own_system = rendered(f"system\nYou are a helpful assistant.{tiny_qwen_vl.IM_END}\n")  # only the simple class's
    chat = [c for c in probed if own_system not in seen(c["input_ids"])]
    simple = [c for c in probed if own_system in seen(c["input_ids"])]
    items = split_items("text", "evaluation")[:LIMIT]
    expected = {
        rendered(
            processor.apply_chat_template(
                [
                    {"role": "system", "content": [{"type": "text", "text": prompting.REMINDER}]},
                    {"role": "user", "content": [{"type": "text", "text": item.prompt}]},
                ],
                tokenize=False,
                add_generation_prompt=True,
            )
        )
        for item in items
    }
    text_calls = [seen(c["input_ids"]) for c in chat if c["image_tokens"] == 0]
    assert set(text_calls) == expected
    image_calls = [seen(c["input_ids"]) for c in chat if c["image_tokens"]]
    answers = [rendered(d.answer) for d in prompting.demonstrations(split_items("image", "evaluation")[0])]
    assert len(image_calls) == LIMIT
    for call in image_calls:
        assert call.count(tiny_qwen_vl.VISION_START) == prompting.DEFAULT_SHOTS + 1  # 4 demo images, the query's
        positions = [call.index(answer) for answer in answers]
        assert positions == sorted(positions)  # each demo's own answer, in order, before the query

    calls = [seen(c["input_ids"]) for c in simple]
    assert len(calls) == LIMIT
    for call in calls:  # after the qwen simple backend's own system turn, the reminder starts the user text
        assert rendered(f"{tiny_qwen_vl.IM_START}user\n{prompting.REMINDER}\n\n") in call
    for item in items:
        tail = rendered(
            f"{prompting.REMINDER}\n\n{item.prompt}{tiny_qwen_vl.IM_END}\n{tiny_qwen_vl.IM_START}assistant\n"
        )
        assert sum(call.endswith(tail) for call in calls) == 1, item.doc_key


def test_the_fewshot_tasks_refuse_a_simple_backend_naming_the_backends_that_can(
    prepared_dir: Path, tmp_path: Path
) -> None:
    proc = run_lmms_eval(
        ["--model", "dummy", "--tasks", "vscbench_image_fewshot", "--limit", "2"], prepared_dir, tmp_path
    )
    message = proc.stdout + proc.stderr
    assert proc.returncode != 0 and not list(tmp_path.rglob("*_results.json"))
    assert "runs here as a simple (single-turn) backend" in message and "qwen2_5_vl" in message
    assert "or the reminder task, which every backend takes" in message


def test_inspect_takes_the_methods_as_task_arguments_and_its_log_records_them(
    prepared_dir: Path, tmp_path: Path
) -> None:
    with ReplayProcess(tmp_path / "calls.jsonl", ["--conversations"]) as model:
        for task, method in (("vscbench_task/vscbench_image", "fewshot"), ("vscbench_task/vscbench_text", "reminder")):
            command = [sys.executable, "-m", "inspect_ai", "eval", task, "-T", f"method={method}", "--model",
                       "openai-api/replay/replay", "--log-dir", str(tmp_path / method), "--limit", str(LIMIT),
                       "--display", "plain"]  # fmt: skip
            env = inspect_env(prepared_dir, REPLAY_BASE_URL=model.url, REPLAY_API_KEY="EMPTY")
            done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        calls = model.calls()
    expected = [_expected(prepared_dir, "fewshot", item)[1:] for item in split_items("image", "evaluation")[:LIMIT]]
    expected += [
        [_message("system", prompting.REMINDER), _message("user", item.prompt)]
        for item in split_items("text", "evaluation")[:LIMIT]
    ]
    assert sorted(json.dumps(c["messages"]) for c in calls) == sorted(json.dumps(e) for e in expected)
    out = tmp_path / "rescored.json"
    done = run_vscbench(
        ["rescore", str(tmp_path / "fewshot"), "--judge", "keyword", "--output", str(out), "--allow-partial"],
        prepared_dir,
    )
    assert done.returncode == 0, done.stderr
    block = json.loads(out.read_text())["vscbench"]
    assert block["split"] == "evaluation" and block["method"] == {"name": "fewshot", "shots": 4}


def test_lm_eval_sends_the_reminder_as_its_task_description(prepared_dir: Path, tmp_path: Path) -> None:
    from vscbench_task.hosts.lm_eval import TASKS_DIR as LM_EVAL_TASKS_DIR
    from vscbench_task.hosts.lm_eval.task_table import task_items as lm_eval_items

    log = tmp_path / "requests.jsonl"
    command = [sys.executable, str(REPO / "tests/support/replay_lm_eval.py"), "--model", "vscbench_replay",
               "--tasks", "vscbench_text_txt_reminder", "--include_path", str(LM_EVAL_TASKS_DIR), "--limit", str(LIMIT),
               "--log_samples", "--output_path", str(tmp_path / "out")]  # fmt: skip
    env = offline_env(prepared_dir, VSCBENCH_REPLAY_LOG=str(log))
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    sent = sorted(json.loads(line)["context"] for line in log.read_text().splitlines())
    asked = lm_eval_items("vscbench_text_txt_reminder")[:LIMIT]
    assert sent == sorted(prompting.with_reminder(item.prompt) for item in asked)
    out = tmp_path / "rescored.json"
    args = ["rescore", str(tmp_path / "out"), "--judge", "keyword", "--output", str(out), "--allow-partial"]
    assert run_vscbench(args, prepared_dir).returncode == 0
    block = json.loads(out.read_text())["vscbench"]
    assert block["split"] == "evaluation" and block["method"] == {"name": "reminder", "reminder_version": "v1"}
