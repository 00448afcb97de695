"""Regression fixtures: saved runs of every host, and what ``rescore`` and ``report`` make of them.

The saved runs (``tests/fixtures/regression/runs``) were written once by the real hosts answering with
the replay model (``tests.support.replay``): lmms-eval's ``openai`` backend, lm-evaluation-harness,
inspect_ai's ``openai-api`` provider, and a responses file from ``vscbench export``, each on the first
``LIMIT`` items of each part (every category, XSTest type and variant). ``outputs`` runs the
``vscbench`` command line on them (``rescore`` with both judges, ``report`` under each reading; the LLM
judge is the loopback stub, whose replies follow a fixed rule) and returns every output document with
the paths (of the run, and of the guides reports point at, which lie in the checkout), ports and
timestamps of the machine it ran on replaced by placeholders. The committed
``outputs.json`` holds what the code gave before the package was reorganised; the regression test
compares today's outputs with it field by field.

    python -m tests.support.regression record   # write the saved runs again (needs a prepared data dir)
    python -m tests.support.regression capture  # write outputs.json from today's code
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.judge_env import judge_env
from tests.support.lmms import REPO, offline_env, results_file, run_lmms_eval, run_vscbench
from tests.support.replay import pixels_sha_of_bytes, reply
from tests.support.replay_server import ReplayProcess
from tests.support.stub_server import StubProcess
from vscbench_task import guides

GUIDES = Path(guides.__file__).parent  # reports print a guide's absolute path: where this checkout is

FIXTURES = REPO / "tests" / "fixtures" / "regression"
RUNS = FIXTURES / "runs"
OUTPUTS = FIXTURES / "outputs.json"
LIMIT = 90  # per part: every image category (15 docs each) and every XSTest type in every variant
HOSTS = ("lmms-eval", "lm-eval", "inspect_ai", "responses")
READINGS = ("keyword", "llm", "llm_strict")
# Fields whose value is the time of the run that wrote the output, not a figure.
TIMESTAMPS = {"date", "created", "generated", "generated_at", "total_evaluation_time_seconds"}


def run_paths(runs: Path = RUNS) -> dict[str, tuple[list[str], Path]]:
    """Each host's saved run: the ``vscbench`` arguments naming it, and the path."""
    return {
        "lmms-eval": ([], runs / "lmms-eval"),
        "lm-eval": ([], runs / "lm-eval"),
        "inspect_ai": ([], runs / "inspect_ai"),
        "responses": (["--responses"], runs / "responses.jsonl"),
    }


def _checked(done: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def record(prepared_dir: Path, dest: Path = RUNS) -> None:
    """Write the saved runs: each host answering the first ``LIMIT`` items of each part with the replay model."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with ReplayProcess(work / "lmms.jsonl") as model:
            args = ["--model", "openai", "--model_args", f"model_version=replay,base_url={model.url},api_key=EMPTY"]
            args += ["--tasks", "vscbench_image,vscbench_text", "--limit", str(LIMIT)]
            _checked(run_lmms_eval(args, prepared_dir, work / "lmms"), "lmms-eval")
            lmms_results = results_file(work / "lmms")
        with ReplayProcess(work / "inspect.jsonl") as model:
            env = offline_env(prepared_dir, REPLAY_BASE_URL=model.url, REPLAY_API_KEY="EMPTY")
            env.pop("PYTHONPATH")  # inspect names the tasks vscbench_task/... only when installed (tests.support.lmms)
            command = [sys.executable, "-m", "inspect_ai", "eval", "vscbench_task/vscbench_image",
                       "vscbench_task/vscbench_text", "--model", "openai-api/replay/replay", "--log-dir",
                       str(work / "inspect"), "--limit", str(LIMIT), "--display", "plain"]  # fmt: skip
            _checked(subprocess.run(command, capture_output=True, text=True, env=env, cwd=work), "inspect_ai")
        lm_eval_tasks = _checked(run_vscbench(["lm-eval-tasks-dir"], prepared_dir), "lm-eval-tasks-dir").stdout.strip()
        command = [sys.executable, str(REPO / "tests/support/replay_lm_eval.py"), "--model", "vscbench_replay",
                   "--tasks", "vscbench_image,vscbench_text_txt,vscbench_text_images", "--include_path",
                   lm_eval_tasks, "--limit", str(LIMIT), "--log_samples",
                   "--output_path", str(work / "lm-eval")]  # fmt: skip
        _checked(subprocess.run(command, capture_output=True, text=True, env=offline_env(prepared_dir)), "lm-eval")
        requests = work / "requests.jsonl"
        _checked(run_vscbench(["export", "--format", "requests", "--out", str(requests)], prepared_dir), "export")
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        shutil.copytree(lmms_results.parent, dest / "lmms-eval")
        shutil.copytree(work / "inspect", dest / "inspect_ai")
        (lm_eval_folder,) = {p.parent for p in (work / "lm-eval").rglob("results_*.json")}
        shutil.copytree(lm_eval_folder, dest / "lm-eval")
        taken = {"image": 0, "text": 0}
        with open(requests, encoding="utf-8") as fh, open(dest / "responses.jsonl", "w", encoding="utf-8") as out:
            for line in fh:
                request = json.loads(line)
                if taken[request["part"]] == LIMIT:
                    continue
                taken[request["part"]] += 1
                image = request["image"]
                sha = None if image is None else pixels_sha_of_bytes(Path(image).read_bytes())
                out.write(json.dumps({"doc_key": request["doc_key"], "response": reply(request["prompt"], sha)}) + "\n")


def normalised(value: Any, places: dict[str, str]) -> Any:
    """``value`` with machine-specific strings replaced (``places``: text -> placeholder) and timestamps blanked."""
    if isinstance(value, dict):
        return {k: "<time>" if k in TIMESTAMPS else normalised(v, places) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v, places) for v in value]
    if isinstance(value, str):
        for text, placeholder in places.items():
            value = value.replace(text, placeholder)
        return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", value)
    return value


def outputs(work: Path, runs: Path = RUNS) -> dict[str, Any]:
    """``rescore`` (both judges) of every saved run and ``report`` of all of them (each reading), normalised."""
    copied = work / "runs"
    shutil.copytree(runs, copied)
    data_dir = work / "data"  # rescore and report read no image; an empty data directory proves it
    data_dir.mkdir()
    found: dict[str, Any] = {}
    with StubProcess(work / "calls.jsonl") as stub:
        env = judge_env(stub, work / "cache.sqlite3")
        for host, (flag, path) in run_paths(copied).items():
            for judge in ("keyword", "llm"):
                out = work / "rescore" / f"{host}-{judge}.json"
                args = ["rescore", *flag, str(path), "--judge", judge, "--output", str(out), "--allow-partial"]
                printed = _checked(run_vscbench(args, data_dir, **env), f"rescore {host} {judge}").stdout
                found[f"rescore/{host}/{judge}"] = json.loads(out.read_text(encoding="utf-8"))
                found[f"rescore/{host}/{judge}/printed"] = printed.splitlines()
                judgements = out.with_name(f"{out.stem}_judgements.jsonl")
                if judgements.exists():
                    lines = judgements.read_text(encoding="utf-8").splitlines()
                    found[f"rescore/{host}/{judge}/judgements"] = [json.loads(line) for line in lines]
        for reading in READINGS:
            out = work / "report" / reading
            args = ["report", *(str(p) for flag, p in run_paths(copied).values() if not flag)]
            args += ["--responses", str(run_paths(copied)["responses"][1]), "--out", str(out), "--judge", reading]
            args += ["--allow-partial", "--resamples", "200", "--html"]
            _checked(run_vscbench(args, data_dir, **env), f"report {reading}")
            found[f"report/{reading}/report.json"] = json.loads((out / "report.json").read_text(encoding="utf-8"))
            found[f"report/{reading}/report.md"] = (out / "report.md").read_text(encoding="utf-8").splitlines()
            found[f"report/{reading}/files"] = sorted(p.name for p in out.iterdir())
            for name in ("leaderboard.jsonl",):
                found[f"report/{reading}/{name}"] = [json.loads(line) for line in (out / name).read_text().splitlines()]
    return normalised(found, {str(work): "<work>", str(GUIDES): "<guides>"})


def differences(found: Any, expected: Any, where: str = "") -> list[str]:
    """Every leaf where ``found`` differs from ``expected``, as ``path: found != expected``."""
    if isinstance(expected, dict) and isinstance(found, dict):
        out = [f"{where}/{k}: missing" for k in expected.keys() - found.keys()]
        out += [f"{where}/{k}: unexpected" for k in found.keys() - expected.keys()]
        for key in expected.keys() & found.keys():
            out += differences(found[key], expected[key], f"{where}/{key}")
        return out
    if isinstance(expected, list) and isinstance(found, list) and len(expected) == len(found):
        pairs = enumerate(zip(found, expected, strict=True))
        return [d for i, (f, e) in pairs for d in differences(f, e, f"{where}[{i}]")]
    return [] if found == expected else [f"{where}: {found!r} != {expected!r}"]


def main(argv: list[str]) -> int:
    if argv == ["record"]:
        from vscbench_task.dataset import datadir

        record(datadir.resolve())
    elif argv == ["capture"]:
        with tempfile.TemporaryDirectory() as work:
            OUTPUTS.write_text(json.dumps(outputs(Path(work)), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
