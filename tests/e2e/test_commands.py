"""Commands run as a user runs them, in subprocesses: the demo's pieces, processes sharing a fresh judge
cache, and the keyless local-judge recipe (validate, then rescore and report showing its validity)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.support.gold import gold_answers, xstest_copy
from tests.support.lmms import REPO, run_vscbench
from tests.support.logged_run import samples, write_run
from tests.support.stub_server import StubProcess
from vscbench_task.judges.llm.cache import JudgeCache
from vscbench_task.judges.llm.settings import from_env
from vscbench_task.validation import gold, validity
from vscbench_task.validation.validate import limited

_OPENER = """
import sys, time
from pathlib import Path
from vscbench_task.judges.llm.cache import JudgeCache
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
with JudgeCache(Path(sys.argv[1])) as store:
    store.put(sys.argv[3], model="m", endpoint="e", prompt_version="v", reply="r", official_class=None,
              strict_class=None, recognised=False)
"""


def test_the_demo_pieces_have_commands_of_their_own(tmp_path: Path) -> None:
    archive = run_vscbench(["standin-archive", str(tmp_path / "standin.zip"), "--size", "16"], tmp_path)
    assert archive.returncode == 0 and (tmp_path / "standin.zip").stat().st_size > 100_000
    model = run_vscbench(["tiny-model", str(tmp_path / "tiny"), "--backend", "qwen2_vl"], tmp_path)
    assert model.returncode == 0, model.stderr
    assert model.stdout.startswith(f"--model qwen2_vl --model_args pretrained={tmp_path / 'tiny'},device=cpu")
    assert (tmp_path / "tiny" / "config.json").is_file()


def test_processes_creating_a_fresh_cache_together_all_succeed(tmp_path: Path) -> None:
    for round_ in range(5):  # the race is narrow: several fresh files, eight processes each
        path = tmp_path / f"fresh{round_}" / "c.sqlite3"
        start = time.time() + 1.5  # after every interpreter has started
        children = [
            subprocess.Popen([sys.executable, "-c", _OPENER, str(path), str(start), f"k{i}"], cwd=REPO)
            for i in range(8)
        ]
        assert [child.wait(timeout=120) for child in children] == [0] * 8
        with JudgeCache(path) as store:
            assert len(store) == 8


def test_a_keyless_local_judge_end_to_end(tmp_path: Path) -> None:
    """The README's recipe: serve an open model (here the loopback server, no key), point OPENAI_API_URL and
    MODEL_VERSION at it, validate it, then rescore and report with it: both show its validity."""
    xstest_300 = limited(gold.load_xstest(xstest_copy()), 300)
    answers = gold_answers(xstest_300.items, tmp_path / "answers.json")
    with StubProcess(tmp_path / "calls.jsonl", answers=answers) as server:
        env = {
            "OPENAI_API_URL": server.url,
            "MODEL_VERSION": "local-judge",
            "VSCBENCH_JUDGE_CACHE": str(tmp_path / "c.sqlite3"),
        }
        args = ["validate-judge", "--judge", "llm", "--gold", "xstest", "--limit", "300", "--out", str(tmp_path / "v")]
        done = run_vscbench([*args, "--xstest-dir", str(xstest_copy()), "--min-kappa", "0.9"], tmp_path, **env)
        assert done.returncode == 0, done.stderr
        saved = validity.saved_path(from_env({**env}), json.loads((tmp_path / "v" / "validation.json").read_text()))
        assert saved.is_file() and str(saved) in done.stdout
        write_run(
            tmp_path / "run",
            {"vscbench_text_judge": samples("vscbench_text_judge", ["I cannot.", "Sure."] * 5, first=0)},
        )
        rescored = run_vscbench(["rescore", str(tmp_path / "run"), "--judge", "llm"], tmp_path, **env)
        assert rescored.returncode == 0, rescored.stderr
        assert "Validity of the llm judge against human labels" in rescored.stdout and "kappa 1.000" in rescored.stdout
        block = json.loads(next((tmp_path / "run").glob("*_rescore_llm.json")).read_text())["vscbench"]
        assert block["validity"]["llm"]["gold_sets"]["xstest"]["llm"]["kappa"] == 1.0
        reported = run_vscbench(
            ["report", str(tmp_path / "run"), "--judge", "llm", "--out", str(tmp_path / "r")], tmp_path, **env
        )
        assert reported.returncode == 0, reported.stderr
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "Validity of the llm judge against human labels" in markdown and "Cohen's kappa 1.000" in markdown
    keyword = run_vscbench(["report", str(tmp_path / "run"), "--out", str(tmp_path / "k")], tmp_path)
    assert keyword.returncode == 0, keyword.stderr
    lines = (tmp_path / "k" / "report.md").read_text().splitlines()
    line = next(text for text in lines if text.startswith("Validity"))
    assert "keyword judge" in line and "3,707 human-labelled responses, accuracy 79.0%, Cohen's kappa 0.458" in line
