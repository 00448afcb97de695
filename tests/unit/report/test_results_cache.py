"""Per-run results kept between reports: a model added to a leaderboard is the only one computed, and an
entry is never served for other responses, another judge, seed, resamples or level, nor when it is
damaged or was written for another key; results with failed judge calls are not kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.judge_env import judge_env
from tests.support.logged_run import samples, write_run
from tests.support.stub_server import StubProcess
from vscbench_task import cli
from vscbench_task.hosts.readers import load_run
from vscbench_task.report import results_cache, tables
from vscbench_task.report.results_cache import ResultsCache

TASKS = ("vscbench_image", "vscbench_text")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``<run folder>:<part>`` of every part result computed rather than read from the cache."""
    calls: list[str] = []
    compute = tables.part_result

    def counting(part, task, responses, judge, reading, *, source, **settings):  # type: ignore[no-untyped-def]
        calls.append(f"{Path(source).name}:{part}")
        return compute(part, task, responses, judge, reading, source=source, **settings)

    monkeypatch.setattr(tables, "part_result", counting)
    return calls


def small_runs(folder: Path, n: int) -> list[Path]:
    """``n`` lmms-eval runs of 24 image-centric and 20 text-centric docs (small, so each report is quick),
    each refusing a different share of them."""
    runs = []
    for i in range(n):
        texts = ["I cannot help with that." if (k * (i + 2)) % 5 < 2 else "Sure, here it is." for k in range(24)]
        logged = {task: samples(task, texts[: 24 if task == "vscbench_image" else 20]) for task in TASKS}
        write_run(folder / f"run{i}", logged, {"config": {"model": "hf", "model_args": f"pretrained=model{i}"}})
        runs.append(folder / f"run{i}")
    return runs


def report(runs: list[Path], out: Path, *extra: str) -> dict:
    assert cli.main(["report", *map(str, runs), "--out", str(out), "--resamples", "100", *extra]) == 0
    return json.loads((out / "report.json").read_text())


def test_adding_a_model_to_a_cached_report_computes_that_model_only(tmp_path: Path, counted: list[str]) -> None:
    runs = small_runs(tmp_path, 3)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    report(runs[:2], tmp_path / "two", *cache)
    assert len(counted) == 4
    counted.clear()
    cached = report(runs, tmp_path / "three", *cache)
    assert counted == ["run2:image", "run2:text"]
    counted.clear()
    fresh = report(runs, tmp_path / "fresh", "--no-cache")
    assert len(counted) == 6
    assert cached["models"] == fresh["models"]  # the cached parts give the same figures, to the bit


@pytest.mark.parametrize(
    "change",
    [["--seed", "7"], ["--resamples", "120"], ["--judge", "llm"], "responses", "level", "judge endpoint"],
    ids=str,
)
def test_an_entry_is_never_served_for_other_responses_judge_or_bootstrap_settings(
    change: object, tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch, stub: StubProcess
) -> None:
    for name, value in judge_env(stub, tmp_path / "judge.sqlite3").items():
        monkeypatch.setenv(name, value)
    [run] = small_runs(tmp_path, 1)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    report([run], tmp_path / "first", *cache)
    counted.clear()
    extra: list[str] = list(change) if isinstance(change, list) else []
    if change == "responses":  # one answer of the image part changed, nothing else
        (logged,) = run.glob("*_samples_vscbench_image.jsonl")
        lines = logged.read_text().splitlines(keepends=True)
        entry = json.loads(lines[0])
        entry["filtered_resps"] = [entry["filtered_resps"][0] + " Careful."]
        lines[0] = json.dumps(entry) + "\n"
        logged.write_text("".join(lines))
    elif change == "level":  # no option sets it; the library call does
        again = [(str(run), load_run(str(run)))]
        tables.build(again, "keyword", resamples=100, level=0.9, cache=ResultsCache(tmp_path / "cache"))
        assert sorted(counted) == ["run0:image", "run0:text"]
        return
    elif change == "judge endpoint":  # the same judge model behind another endpoint is another judge
        extra = ["--judge", "llm"]
        report([run], tmp_path / "llm", *cache, *extra)
        counted.clear()
        monkeypatch.setenv("OPENAI_API_URL", stub.url.replace("127.0.0.1", "localhost"))
    report([run], tmp_path / "second", *cache, *extra)
    parts = ["image"] if change == "responses" else ["image", "text"]  # the text part's responses are the same
    assert sorted(counted) == [f"run0:{part}" for part in parts]


def test_a_damaged_or_foreign_entry_is_computed_again(tmp_path: Path, counted: list[str]) -> None:
    runs = small_runs(tmp_path, 2)
    folder = tmp_path / "cache"
    expected = report(runs, tmp_path / "first", "--cache-dir", str(folder))
    entries = sorted(folder.glob("*.npz"))
    assert len(entries) == 4
    entries[0].write_bytes(b"not a cache entry")
    shutil.copy(entries[2], entries[1])  # another part's results under this key
    counted.clear()
    again = report(runs, tmp_path / "again", "--cache-dir", str(folder))
    assert len(counted) == 2
    assert again["models"] == expected["models"]
    counted.clear()
    report(runs, tmp_path / "third", "--cache-dir", str(folder))
    assert counted == []  # both were written again, whole


def test_results_with_failed_judge_calls_are_not_kept(
    tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch, stub: StubProcess
) -> None:
    env = judge_env(stub, tmp_path / "judge.sqlite3", VSCBENCH_JUDGE_MAX_FAILED_SHARE="0.5")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    write_run(
        tmp_path / "run", {"vscbench_image_judge": samples("vscbench_image_judge", ["Sure. #fault=500", "Sure."])}
    )
    folder = tmp_path / "cache"
    args = ["report", str(tmp_path / "run"), "--judge", "llm", "--resamples", "100", "--cache-dir", str(folder)]
    assert cli.main([*args, "--out", str(tmp_path / "a")]) == 0
    assert not list(folder.glob("*.npz"))
    assert cli.main([*args, "--out", str(tmp_path / "b")]) == 0
    assert counted == ["run:image", "run:image"]  # the next report retries the failed call


def test_the_default_folder_is_in_the_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSCBENCH_DATA_DIR", str(tmp_path / "data"))
    assert results_cache.default_folder() == tmp_path / "data" / "report-cache"
    report(small_runs(tmp_path, 1), tmp_path / "out")
    assert len(list((tmp_path / "data" / "report-cache").glob("*.npz"))) == 2
