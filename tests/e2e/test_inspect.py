"""inspect_ai end to end: its real command line finding the tasks through the package's entry point,
on a tiny local model (inspect's ``hf/`` provider: text only, so the text part's txt samples), then
``vscbench rescore`` of the log; and the LLM judge as the scorer, against the loopback judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import tiny_causal_lm
from tests.support.judge_env import FAKE_KEY, judge_env
from tests.support.lmms import REPO, inspect_env, run_vscbench
from tests.support.replay_server import ReplayProcess
from tests.support.stub_server import StubProcess
from vscbench_task.dataset.items import items
from vscbench_task.judges.llm.judge import LLMJudge
from vscbench_task.judges.llm.settings import from_env
from vscbench_task.scoring.records import make_response
from vscbench_task.scoring.score import score

TXT = [item.doc_key for item in items("text") if item.variant == "txt"][:6]
INSPECT = [str(Path(sys.executable).with_name("inspect"))]


def inspect_cli(args: list[str], data_dir: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    command = [*INSPECT, *args, "--display", "plain"]
    return subprocess.run(
        command, capture_output=True, text=True, env=inspect_env(data_dir, **env), timeout=900, cwd=cwd
    )


def test_the_inspect_tasks_run_this_checkout(prepared_dir: Path, tmp_path: Path) -> None:
    probe = [sys.executable, "-c", "import vscbench_task; print(vscbench_task.__file__)"]
    done = subprocess.run(probe, capture_output=True, text=True, env=inspect_env(prepared_dir), cwd=tmp_path)
    assert Path(done.stdout.strip()).is_relative_to(REPO), done.stdout + done.stderr


def test_a_tiny_local_model_through_inspects_hf_provider(prepared_dir: Path, tmp_path: Path) -> None:
    model = tiny_causal_lm.build(tmp_path / "tiny-lm")
    args = [
        "eval",
        "vscbench_task/vscbench_text",
        "--model",
        f"hf/{model}",
        "-M",
        "device=cpu",
        "-M",
        "do_sample=false",
    ]
    args += ["--sample-id", ",".join(TXT), "--max-tokens", "8", "--log-dir", str(tmp_path / "logs")]
    done = inspect_cli(args, prepared_dir, tmp_path)
    assert done.returncode == 0 and "sra_mean_keyword_judge" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "rescored.json"
    rescored = run_vscbench(
        ["rescore", str(tmp_path / "logs"), "--judge", "keyword", "--output", str(out)], prepared_dir
    )
    assert rescored.returncode == 0, rescored.stderr
    document = json.loads(out.read_text())
    assert document["vscbench"]["host"] == "inspect_ai" and document["vscbench"]["counts"]["vscbench_text"]["docs"] == 6


def test_the_llm_judge_scorer_gives_the_cores_figures(prepared_dir: Path, tmp_path: Path) -> None:
    keys = [item.doc_key for item in items("image")[:24]]
    with StubProcess(tmp_path / "calls.jsonl", api_key=FAKE_KEY) as stub, ReplayProcess(tmp_path / "m.jsonl") as model:
        env = judge_env(stub, tmp_path / "cache.sqlite3", VSCBENCH_JUDGE_PREFLIGHT="1")
        args = ["eval", "vscbench_task/vscbench_image", "-T", "judge=llm", "--model", "openai-api/replay/replay"]
        args += ["--sample-id", ",".join(keys), "--log-dir", str(tmp_path / "logs")]
        done = inspect_cli(args, prepared_dir, tmp_path, REPLAY_BASE_URL=model.url, REPLAY_API_KEY="EMPTY", **env)
        assert done.returncode == 0 and "sra_u_llm_judge" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
        from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_samples

        (info,) = list_eval_logs(str(tmp_path / "logs"))
        log = read_eval_log(info, header_only=True)
        found = {name: metric.value for name, metric in log.results.scores[0].metrics.items()}
        responses = [make_response(s.id, s.output.completion, where="log") for s in read_eval_log_samples(info)]
        calls = len(stub.calls())
        _, expected = score(responses, LLMJudge(from_env(env)), source="reference", progress=False)
        assert len(stub.calls()) == calls  # every judgement came from the cache the scorer filled
    assert found == pytest.approx(expected, nan_ok=True)
    assert FAKE_KEY not in read_eval_log(info).model_dump_json()  # the judge's key is never logged


def test_an_unconfigured_llm_judge_stops_the_task_before_any_generation(prepared_dir: Path, tmp_path: Path) -> None:
    args = ["eval", "vscbench_task/vscbench_image", "-T", "judge=llm", "--model", "openai-api/replay/replay"]
    model = {"REPLAY_BASE_URL": "http://127.0.0.1:9/v1", "REPLAY_API_KEY": "EMPTY"}  # never reached
    done = inspect_cli([*args, "--limit", "2", "--log-dir", str(tmp_path / "logs")], prepared_dir, tmp_path, **model)
    assert "OPENAI_API_KEY is not set" in done.stdout + done.stderr, done.stdout + done.stderr
    assert not list(tmp_path.rglob("*.eval"))  # stopped at task load: no eval started
