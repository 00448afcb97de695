"""One source of truth: the same responses through every host give the same VSCBench metrics.

The replay model (``tests.support.replay``) answers from the request alone (the prompt and the image's
pixels), so each host that sends the benchmark's requests gets the same responses. The benchmark goes
through four paths (lmms-eval and inspect_ai on the first ``LIMIT`` items of each part in the stratified
order, which hold every category, type and variant; the others on all 4,050):

* lmms-eval's ``openai`` backend against the replay server (the path of a served model, as with vLLM);
* lm-evaluation-harness with the replay model (its CLI, our task folder);
* inspect_ai's ``openai-api`` provider against the replay server (its CLI, our registered tasks);
* ``vscbench export`` -> a home-made generator -> ``vscbench rescore --responses``.

Each host's own figures and ``vscbench rescore`` of its output (both judges) must equal the scoring
core's on the reference responses, computed here from the packaged items and the prepared files.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import replay
from tests.support.judge_env import FAKE_KEY, judge_env
from tests.support.lmms import REPO, inspect_env, offline_env, results_file, run_lmms_eval, run_vscbench
from tests.support.replay_server import ReplayProcess
from tests.support.stub_server import StubProcess
from vscbench_task.dataset import generation
from vscbench_task.dataset.items import PARTS, item_index, items
from vscbench_task.hosts.lm_eval import TASKS_DIR as LM_EVAL_TASKS_DIR
from vscbench_task.hosts.lm_eval.task_table import task_metrics as lm_eval_task_metrics
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.scoring.records import Response
from vscbench_task.scoring.score import score

PART_TASK = {"image": "vscbench_image", "text": "vscbench_text"}
HOSTS = ("lmms-eval", "lm-eval", "inspect_ai", "responses")
LIMIT = 180  # per part (every stratum: 15 per image one, 2 per text one), for the hosts sending over HTTP
SUBSET = {part: [item.doc_key for item in items(part)[:LIMIT]] for part in PARTS}
FULL = {part: [item.doc_key for item in items(part)] for part in PARTS}
ANSWERED = {"lmms-eval": SUBSET, "inspect_ai": SUBSET, "lm-eval": FULL, "responses": FULL}


def _run(command: list[str], data_dir: Path, *, installed: bool = False, **env: str) -> subprocess.CompletedProcess:
    """Run ``command`` offline; ``installed``: import the package as installed (see ``inspect_env``)."""
    environment = inspect_env(data_dir, **env) if installed else offline_env(data_dir, **env)
    # Started outside the checkout: `python -m` puts the working folder first on sys.path (see inspect_env).
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=1200, cwd=data_dir.parent)
    assert done.returncode == 0, f"{command[:4]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def _generate_from_export(requests_file: Path, out: Path) -> None:
    """What a user's own generator does with ``vscbench export``: answer each request, write doc_key + response."""
    with open(requests_file, encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as answers:
        for line in fh:
            request = json.loads(line)
            sha = None if request["image"] is None else replay.pixels_sha_of_bytes(Path(request["image"]).read_bytes())
            answer = replay.reply(request["prompt"], sha)
            answers.write(json.dumps({"doc_key": request["doc_key"], "response": answer}) + "\n")


@pytest.fixture(scope="module")
def hosts(prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Every host's output for the whole benchmark, answered by the replay model."""
    work = tmp_path_factory.mktemp("hosts")
    outputs: dict[str, Path] = {}
    requests: dict[str, list[dict]] = {}
    with ReplayProcess(work / "lmms-requests.jsonl") as model:
        model_args = f"model_version=replay,base_url={model.url},api_key=EMPTY"
        done = run_lmms_eval(
            [
                "--model",
                "openai",
                "--model_args",
                model_args,
                "--tasks",
                "vscbench_image,vscbench_text",
                "--limit",
                str(LIMIT),
            ],
            prepared_dir,
            work / "lmms",
        )
        assert done.returncode == 0, done.stderr[-4000:]
        outputs["lmms-eval"], requests["lmms-eval"] = results_file(work / "lmms"), model.calls()
    with ReplayProcess(work / "inspect-requests.jsonl") as model:
        _run(
            [sys.executable, "-m", "inspect_ai", "eval", "vscbench_task/vscbench_image", "vscbench_task/vscbench_text",
             "--model", "openai-api/replay/replay", "--log-dir", str(work / "inspect"), "--max-connections", "8",
             "--limit", str(LIMIT), "--display", "plain"],
            prepared_dir, installed=True, REPLAY_BASE_URL=model.url, REPLAY_API_KEY="EMPTY",
        )  # fmt: skip
        outputs["inspect_ai"], requests["inspect_ai"] = work / "inspect", model.calls()
    lm_eval_log = work / "lm-eval-requests.jsonl"
    _run(
        [sys.executable, str(REPO / "tests/support/replay_lm_eval.py"), "--model", "vscbench_replay",
         "--tasks", "vscbench_image,vscbench_text_txt,vscbench_text_images", "--include_path", str(LM_EVAL_TASKS_DIR),
         "--log_samples", "--output_path", str(work / "lm-eval")],
        prepared_dir, VSCBENCH_REPLAY_LOG=str(lm_eval_log),
    )  # fmt: skip
    outputs["lm-eval"] = work / "lm-eval"
    requests["lm-eval"] = [json.loads(line) for line in lm_eval_log.read_text().splitlines()]
    exported = run_vscbench(["export", "--format", "requests", "--out", str(work / "requests.jsonl")], prepared_dir)
    assert exported.returncode == 0, exported.stderr
    _generate_from_export(work / "requests.jsonl", work / "responses.jsonl")
    outputs["responses"] = work / "responses.jsonl"
    yield {"outputs": outputs, "requests": requests, "work": work, "data": prepared_dir}


@pytest.fixture(scope="module")
def answers(prepared_dir: Path) -> dict[str, str]:
    """The replay model's answer to every item, by doc_key."""
    return replay.expected(prepared_dir)


def reference(answers: dict[str, str], keys: list[str]) -> dict[str, float]:
    """The scoring core's keyword figures on the replay model's responses to ``keys`` (stripped, as hosts do)."""
    return score([Response(key, answers[key].strip()) for key in keys], KeywordJudge(), source="reference")[1]


def _same(found: dict[str, float], expected: dict[str, float], where: str) -> None:
    assert found.keys() == expected.keys(), where
    for name, value in expected.items():
        assert found[name] == value or (math.isnan(found[name]) and math.isnan(value)), f"{where}: {name}"


def _figures(entry: dict) -> dict[str, float]:
    """A results entry (lmms-eval / lm-eval / rescore) as metric -> value, without aliases and stderrs."""
    return {
        k.removesuffix(",none"): (math.nan if v is None else v)
        for k, v in entry.items()
        if k.endswith(",none") and "_stderr" not in k
    }


def test_every_host_sent_the_benchmarks_requests_with_its_generation_settings(hosts: dict) -> None:
    for host in ("lmms-eval", "inspect_ai"):
        sent = hosts["requests"][host]
        asked = [item_index()[key] for part in PARTS for key in ANSWERED[host][part]]
        assert len(sent) == len(asked), host
        assert {(r["max_tokens"], r["temperature"]) for r in sent} == {(generation.MAX_NEW_TOKENS, 0)}, host
        with_image = sum(item.image is not None for item in asked)
        assert Counter(r["images"] for r in sent) == {1: with_image, 0: len(asked) - with_image}, host
    sent = hosts["requests"]["lm-eval"]
    assert len(sent) == sum(len(items(part)) for part in PARTS)
    assert {(r["max_gen_toks"], tuple(r["until"]), r["do_sample"]) for r in sent} == {
        (generation.MAX_NEW_TOKENS, (), False)
    }


def test_each_hosts_own_figures_are_the_cores(hosts: dict, answers: dict) -> None:
    lmms = json.loads(hosts["outputs"]["lmms-eval"].read_text())["results"]
    for part, task in PART_TASK.items():
        _same(_figures(lmms[task]), reference(answers, SUBSET[part]), f"lmms-eval {task}")
    (lm_eval_results,) = hosts["outputs"]["lm-eval"].rglob("results_*.json")
    lm_eval = json.loads(lm_eval_results.read_text())["results"]
    _same(_figures(lm_eval["vscbench_image"]), reference(answers, FULL["image"]), "lm-eval vscbench_image")
    for task, keep in (("vscbench_text_txt", True), ("vscbench_text_images", False)):
        keys = [i.doc_key for i in items("text") if (i.variant == "txt") == keep]
        expected = {spec.name: reference(answers, keys)[spec.name] for spec in lm_eval_task_metrics(task)}
        _same(_figures(lm_eval[task]), expected, f"lm-eval {task}")
    from inspect_ai.log import list_eval_logs, read_eval_log

    logs = [read_eval_log(info, header_only=True) for info in list_eval_logs(str(hosts["outputs"]["inspect_ai"]))]
    assert sorted(log.eval.task for log in logs) == ["vscbench_task/vscbench_image", "vscbench_task/vscbench_text"]
    for log in logs:
        assert log.status == "success"
        part = log.eval.task.removeprefix("vscbench_task/vscbench_")
        (scores,) = log.results.scores
        found = {name: m.value for name, m in scores.metrics.items()}
        _same(found, reference(answers, SUBSET[part]), f"inspect_ai {part}")


@pytest.mark.parametrize("host", HOSTS)
def test_rescore_of_each_host_gives_the_cores_figures(hosts: dict, answers: dict, host: str, tmp_path: Path) -> None:
    source = hosts["outputs"][host]
    args = ["--responses", str(source)] if host == "responses" else [str(source)]
    done = run_vscbench(["rescore", *args, "--judge", "keyword", "--output", str(tmp_path / "r.json")], hosts["data"])
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    for part, task in PART_TASK.items():
        _same(_figures(document["results"][task]), reference(answers, ANSWERED[host][part]), f"{host} rescore {task}")
        assert document["vscbench"]["counts"][task]["docs"] == len(ANSWERED[host][part])


def test_the_llm_judge_gives_every_host_the_same_figures(hosts: dict, tmp_path: Path) -> None:
    with StubProcess(tmp_path / "calls.jsonl", api_key=FAKE_KEY) as stub:
        env = judge_env(stub, tmp_path / "cache.sqlite3")
        found = {}
        for host in HOSTS:
            source = hosts["outputs"][host]
            args = ["--responses", str(source)] if host == "responses" else [str(source)]
            out = tmp_path / f"{host}.json"
            done = run_vscbench(["rescore", *args, "--judge", "llm", "--output", str(out)], hosts["data"], **env)
            assert done.returncode == 0, done.stderr
            found[host] = {task: _figures(json.loads(out.read_text())["results"][task]) for task in PART_TASK.values()}
    for hosts_alike in (("lmms-eval", "inspect_ai"), ("lm-eval", "responses")):  # same items answered
        for task in PART_TASK.values():
            _same(found[hosts_alike[1]][task], found[hosts_alike[0]][task], f"{hosts_alike} {task}")
