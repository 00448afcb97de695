"""A published run plus its verdict file reproduces every LLM figure with no judge, for a saved run of each
host (``tests/fixtures/regression/runs``): ``rescore --verdicts`` equals the LLM rescore that produced the
verdicts, metric by metric, whether the verdicts were exported from the cache or, on another machine, from
the rescore's per-item file; ``report --verdicts`` equals the LLM report under both readings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.judge_env import judge_env
from tests.support.lmms import run_vscbench
from tests.support.regression import RUNS, run_paths
from tests.support.stub_server import StubProcess


def _ok(args: list[str], data_dir: Path, **env: str) -> str:
    done = run_vscbench(args, data_dir, **env)
    assert done.returncode == 0, f"{args}\n{done.stderr[-3000:]}"
    return done.stdout


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_verdicts_reproduce_every_figure_of_each_hosts_run_with_no_judge(tmp_path: Path) -> None:
    shutil.copytree(RUNS, tmp_path / "runs")
    data_dir = tmp_path / "data"  # rescore and report read no image
    data_dir.mkdir()
    paths = run_paths(tmp_path / "runs")
    elsewhere = {
        "VSCBENCH_JUDGE_CACHE": str(tmp_path / "other-machine.sqlite3"),
        "OPENAI_API_URL": "http://127.0.0.1:9/v1",
    }
    verdicts = {}
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        env = judge_env(stub, tmp_path / "cache.sqlite3")
        for host, (flag, path) in paths.items():
            llm = tmp_path / f"{host}-llm.json"
            _ok(
                ["rescore", *flag, str(path), "--judge", "llm", "--output", str(llm), "--allow-partial"],
                data_dir,
                **env,
            )
            verdicts[host] = tmp_path / f"{host}.verdicts.jsonl"
            args = ["verdicts", "export", *flag, str(path), "--judge", "llm", "--allow-partial"]
            _ok([*args, "--out", str(verdicts[host])], data_dir, **env)
            from_file = tmp_path / f"{host}.from-judgements.jsonl"
            judgements = llm.with_name(f"{llm.stem}_judgements.jsonl")
            _ok([*args, "--out", str(from_file), "--judgements", str(judgements)], data_dir, **elsewhere)
            assert from_file.read_text() == verdicts[host].read_text(), host
            calls = len(stub.calls())
            again = tmp_path / f"{host}-verdicts.json"
            printed = _ok(
                ["rescore", *flag, str(path), "--verdicts", str(from_file), "--output", str(again), "--allow-partial"],
                data_dir,
                **elsewhere,
            )
            assert len(stub.calls()) == calls and "no judge was asked" in printed
            expected, found = _json(llm), _json(again)
            assert found["results"] == expected["results"], host  # every metric, both readings
            assert found["vscbench"]["agreement"] == expected["vscbench"]["agreement"], host
            assert found["vscbench"]["judge_identity"] == expected["vscbench"]["judge_identity"], host
        report_args = [str(p) for flag, p in paths.values() if not flag] + ["--responses", str(paths["responses"][1])]
        pairs = [f"{paths[host][1]}={verdicts[host]}" for host in paths]
        for reading in ("llm", "llm_strict"):
            common = [*report_args, "--judge", reading, "--allow-partial", "--resamples", "200"]
            _ok(["report", *common, "--out", str(tmp_path / reading)], data_dir, **env)
            pairs_args = [a for pair in pairs for a in ("--verdicts", pair)]
            _ok(["report", *common, *pairs_args, "--out", str(tmp_path / f"{reading}-v")], data_dir, **elsewhere)
            expected, found = (
                _json(tmp_path / reading / "report.json"),
                _json(tmp_path / f"{reading}-v" / "report.json"),
            )
            assert found["models"] == expected["models"], reading
            assert found["judge_identity"] == expected["judge_identity"]
            assert sorted(found["verdicts"]) == sorted(m["name"] for m in expected["models"])
            assert "its verdicts read from verdict files" in (tmp_path / f"{reading}-v" / "report.md").read_text()
