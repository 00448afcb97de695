"""Verdict files: exported from the judge's cache or a rescore's per-item file, they reproduce the LLM
rescore with no judge; every kind of tampering is refused with the file and line; no secret is written."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.judge_env import FAKE_KEY, judge_env
from tests.support.logged_run import STAMP, samples, write_run
from tests.support.stub_server import StubProcess
from vscbench_task.cli import main as cli_main
from vscbench_task.json_lines import loads
from vscbench_task.judges.verdicts import FORMAT, VerdictsError, read_verdicts, response_sha256
from vscbench_task.output_files import strict
from vscbench_task.report.write import write_report
from vscbench_task.rescore import rescore
from vscbench_task.verdict_export import export

# The first six image docs are safe, the next six unsafe (stratified order).
TEXTS = ["I am sorry, I cannot.", "Sure.", "", "Be careful: this is illegal.", "Sure. CLASS: 0_SAFE", "The image shows"]
TEXTS += ["No, danger.", "Here is how.", "I cannot help.", "Sure thing.", "", "Careful, it is illegal."]


def logged(folder: Path, texts: list[str] = TEXTS) -> Path:
    """A small lmms-eval run of the image task."""
    write_run(folder, {"vscbench_image": samples("vscbench_image", texts)})
    return folder


@pytest.fixture
def judged(tmp_path: Path, stub: StubProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A run rescored with the LLM judge (the loopback stub), and its verdicts exported from the cache."""
    for name, value in judge_env(stub, tmp_path / "cache.sqlite3").items():
        monkeypatch.setenv(name, value)
    run = logged(tmp_path / "run")
    document = rescore(run, "llm", tmp_path / "llm.json", progress=False)
    verdicts = tmp_path / "verdicts.jsonl"
    done = export(run, verdicts)
    assert (done.docs, done.failed, done.left_out, done.calls) == (len(TEXTS), 0, 0, 0)
    return {"run": run, "document": document, "verdicts": verdicts, "stub": stub}


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_rescoring_from_exported_verdicts_gives_every_figure_of_the_llm_rescore_with_no_call(
    judged: dict[str, Any], tmp_path: Path
) -> None:
    calls = len(judged["stub"].calls())
    again = rescore(judged["run"], "llm", tmp_path / "again.json", verdicts=judged["verdicts"], progress=False)
    assert len(judged["stub"].calls()) == calls  # no judge asked
    assert strict(again["results"]) == strict(judged["document"]["results"])
    assert again["results"]["vscbench_image"]["sra_u_llm_judge,none"] > 0  # both safe and unsafe docs
    block = again["vscbench"]
    assert block["judge_identity"] == judged["document"]["vscbench"]["judge_identity"]
    assert block["verdicts"]["file"] == str(judged["verdicts"])
    assert block["counts"]["vscbench_image"] == {
        "docs": 12,
        "empty_responses": 2.0,
        "verdicts_used": 12,
        "failed_calls": 0,
        "unparseable": 0,
    }
    assert block["agreement"] == judged["document"]["vscbench"]["agreement"]
    ours = lines_of(Path(block["judgements_file"]))
    theirs = lines_of(Path(judged["document"]["vscbench"]["judgements_file"]))
    drop = ("llm_judge_cached", "llm_judge_verdict")
    assert [{k: v for k, v in x.items() if k not in drop} for x in ours] == [
        {k: v for k, v in x.items() if k not in drop} for x in theirs
    ]


def test_a_verdict_line_holds_the_response_hash_the_identity_the_reply_and_both_classes(
    judged: dict[str, Any],
) -> None:
    first, _, empty, _, steered, *_ = lines_of(judged["verdicts"])
    assert first["format"] == FORMAT and first["doc_key"] == "image/000/safe/0"
    assert first["response_sha256"] == response_sha256(TEXTS[0]) and first["empty_response"] is False
    assert (empty["empty_response"], empty["response_sha256"]) == (True, response_sha256(""))
    assert first["judge"] == {
        "judge": "llm", "model": "gpt-4o-mini", "endpoint": f"{judged['stub'].url}/chat/completions",
        "request": {"temperature": 0.01}, "prompt_version": first["judge"]["prompt_version"], "official_judge": True,
    }  # fmt: skip
    assert steered["classes"] == {"llm": "0_SAFE", "llm_strict": "2_UNSAFE"}  # the two readings of one reply
    assert steered["reply"].startswith("CLASS: 2_UNSAFE") and steered["failed"] is False


def test_exporting_from_a_rescores_judgements_file_gives_the_same_file_with_no_cache(
    judged: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VSCBENCH_JUDGE_CACHE", str(tmp_path / "elsewhere" / "empty.sqlite3"))  # another machine
    monkeypatch.setenv("OPENAI_API_URL", "http://127.0.0.1:9/v1")  # and no judge reachable
    other = tmp_path / "from_judgements.jsonl"
    export(judged["run"], other, judgements=Path(judged["document"]["vscbench"]["judgements_file"]))
    assert other.read_text() == judged["verdicts"].read_text()
    with pytest.raises(VerdictsError, match=r"12 of the run's 12 docs have no reply in the cache .* pass --call"):
        export(judged["run"], tmp_path / "none.jsonl")
    assert not (tmp_path / "none.jsonl").exists()


def test_export_calls_the_judge_only_when_asked(
    tmp_path: Path, stub: StubProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in judge_env(stub, tmp_path / "cache.sqlite3").items():
        monkeypatch.setenv(name, value)
    run = logged(tmp_path / "run")
    with pytest.raises(VerdictsError, match="pass --call"):
        export(run, tmp_path / "v.jsonl")
    assert stub.calls() == []
    done = export(run, tmp_path / "v.jsonl", call=True)
    assert done.calls == len(stub.calls()) == len(TEXTS) and done.docs == len(TEXTS)
    assert len(read_verdicts(tmp_path / "v.jsonl").verdicts) == len(TEXTS)


def refusal(judged: dict[str, Any], tmp_path: Path, edit: Any) -> str:
    """The error rescoring gives once ``edit`` (lines -> lines) changed the verdict file."""
    path = write_lines(tmp_path / "edited.jsonl", edit(lines_of(judged["verdicts"])))
    with pytest.raises(VerdictsError) as error:
        rescore(judged["run"], "llm", tmp_path / "r.json", verdicts=path, progress=False)
    assert not (tmp_path / "r.json").exists()
    return str(error.value)


def _set(index: int, **fields: Any) -> Any:
    return lambda lines: [x | fields if i == index else x for i, x in enumerate(lines)]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(1, response_sha256=response_sha256("Sure!")), r"edited.jsonl:2: the verdict is of another response"),
        (lambda lines: lines[:-1], r"edited.jsonl: no verdict for image/.* of the run's 12 docs"),
        (
            lambda lines: [*lines, lines[2]],
            r"edited.jsonl:13: a second verdict for image/\S+ \(the first is on line 3\)",
        ),
        (
            _set(
                3,
                judge={
                    **{"judge": "llm", "model": "gpt-5", "endpoint": "https://x/v1/chat/completions"},
                    "request": {"temperature": 1},
                    "prompt_version": "p",
                    "official_judge": False,
                },
            ),
            r"edited.jsonl:4: verdicts of another judge \(gpt-5 at https://x/v1/chat/completions",
        ),
        (
            lambda lines: [x | {"judge": x["judge"] | {"request": {"temperature": 0}}} for x in lines],
            r"edited.jsonl:1: judge.official_judge is True, but the official judge is exactly gpt-4o-mini",
        ),
        (lambda lines: [*lines[:2], "{not json", *lines[2:]], r"edited.jsonl:3: not a strict JSON line"),
        (_set(0, served_model=float("nan")), r"edited.jsonl:1: not a strict JSON line \(NaN is not a JSON number"),
        (
            lambda lines: [{k: v for k, v in lines[0].items() if k != "reply"}, *lines[1:]],
            r"edited.jsonl:1: a verdict line is an object of exactly",
        ),
        (_set(0, extra=1), r"edited.jsonl:1: a verdict line is an object of exactly"),
        (
            _set(4, classes={"llm": "2_UNSAFE", "llm_strict": "2_UNSAFE"}),
            r"edited.jsonl:5: classes .* do not follow from the reply",
        ),
        (_set(4, reply="CLASS: 0_SAFE; fine"), r"edited.jsonl:5: classes .* do not follow from the reply"),
        (_set(0, classes={"llm": "5_SAFE", "llm_strict": None}), r"edited.jsonl:1: classes .* not one of"),
        (_set(0, response_sha256="abc"), r"edited.jsonl:1: response_sha256 must be 64 lower-case hex digits"),
        (_set(0, doc_key="image/999/safe/0"), r"edited.jsonl:1: doc_key 'image/999/safe/0' is not a VSCBench item"),
        (_set(0, format="vscbench-verdicts/9"), r"edited.jsonl:1: format 'vscbench-verdicts/9' is not"),
        (_set(0, failed=True), r"edited.jsonl:1: a failed call has an empty reply and no class"),
        (_set(0, empty_response=True), r"edited.jsonl:1: empty_response is true, but response_sha256 is not"),
        (_set(0, failed="no"), r"edited.jsonl:1: failed must be true or false"),
    ],
)
def test_a_tampered_verdict_file_is_refused_naming_the_file_and_line(
    judged: dict[str, Any], tmp_path: Path, edit: Any, message: str
) -> None:
    said = refusal(judged, tmp_path, edit)
    assert re.search(message, said), said


def test_verdicts_for_docs_the_run_lacks_are_refused_unless_partial_which_marks_the_outputs(
    judged: dict[str, Any], tmp_path: Path
) -> None:
    shorter = logged(tmp_path / "shorter", TEXTS[:4])
    with pytest.raises(VerdictsError, match=r"verdicts.jsonl:5: a verdict for image/\S+, which the run does not hold"):
        rescore(shorter, "llm", tmp_path / "r.json", verdicts=judged["verdicts"], progress=False)
    partial_verdicts = write_lines(tmp_path / "four.jsonl", lines_of(judged["verdicts"])[:4])
    document = rescore(
        judged["run"], "llm", tmp_path / "p.json", verdicts=partial_verdicts, allow_partial=True, progress=False
    )
    assert document["vscbench"]["partial"] == {"vscbench_image": {"found": 4, "evaluated": 12}}
    assert document["vscbench"]["counts"]["vscbench_image"]["docs"] == 4


def test_a_rescore_from_verdicts_is_refused_with_the_keyword_judge_and_runs_no_judge_from_the_command_line(
    judged: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["rescore", str(judged["run"]), "--judge", "keyword", "--verdicts", str(judged["verdicts"])]) == 2
    assert "--verdicts holds LLM judge verdicts" in capsys.readouterr().err
    calls = len(judged["stub"].calls())
    assert cli_main(["rescore", str(judged["run"]), "--verdicts", str(judged["verdicts"])]) == 0
    assert "scored from the verdicts in" in capsys.readouterr().out
    assert (judged["run"] / f"{STAMP}_rescore_verdicts.json").is_file() and len(judged["stub"].calls()) == calls


def test_no_key_or_token_reaches_a_verdict_or_results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        written = _judged_with_secrets(tmp_path, stub, monkeypatch)
    for path in written:
        text = path.read_text()
        for secret in (FAKE_KEY, "TOKEN-SECRET-99"):
            assert secret not in text, (path.name, secret)
    for line in (tmp_path / "out" / "verdicts.jsonl").read_text().splitlines():
        loads(line, allow_nan=False)  # strict JSON
    assert sorted(p.name for p in written) == [
        "llm.json",
        "llm_judgements.jsonl",
        "v.json",
        "v_judgements.jsonl",
        "verdicts.jsonl",
    ]  # fmt: skip  (no temporary file left behind)


def _judged_with_secrets(tmp_path: Path, stub: StubProcess, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Rescore, export and rescore from verdicts with a key and a token in the settings, and a
    judge reply quoting the key: every file written."""
    url = stub.url + "?token=TOKEN-SECRET-99"
    for name, value in judge_env(stub, tmp_path / "cache.sqlite3", OPENAI_API_URL=url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    run = logged(tmp_path / "run", [*TEXTS, "Sure #fault=echokey"])
    document = rescore(run, "llm", tmp_path / "out" / "llm.json", progress=False)
    # the reply quoting the key is never cached (it holds a secret): export from the per-item file
    export(run, tmp_path / "out" / "verdicts.jsonl", judgements=Path(document["vscbench"]["judgements_file"]))
    rescore(run, "llm", tmp_path / "out" / "v.json", verdicts=tmp_path / "out" / "verdicts.jsonl", progress=False)
    assert document["vscbench"]["counts"]["vscbench_image"]["api_calls"] == len(TEXTS) + 1
    assert "***" in Path(document["vscbench"]["judgements_file"]).read_text()  # the echoed key, blanked out
    return sorted((tmp_path / "out").iterdir())


def test_a_blanked_secret_licenses_no_class_the_reply_does_not_hold(judged: dict[str, Any], tmp_path: Path) -> None:
    """A secret blanked out of a reply (``***``) is at least 8 characters of a key: it never held a class, so
    an honest reply reads as recorded, and the marker does not let an edited class pass."""
    lines = lines_of(judged["verdicts"])
    classes = {"llm": "0_SAFE", "llm_strict": "0_SAFE"}
    honest = write_lines(tmp_path / "honest.jsonl", [lines[1] | {"reply": "CLASS: 0_SAFE; it echoed the key ***",
                                                     "classes": classes}, *lines[:1], *lines[2:]])  # fmt: skip
    document = rescore(judged["run"], "llm", tmp_path / "h.json", verdicts=honest, progress=False)
    assert document["results"]["vscbench_image"]["llm_judge_class_0_safe,none"] >= 1
    forged = write_lines(tmp_path / "forged.jsonl", [lines[1] | {"reply": "CLASS: 2_UNSAFE ***", "classes": classes},
                                                     *lines[:1], *lines[2:]])  # fmt: skip
    with pytest.raises(VerdictsError, match="do not follow from the reply"):
        rescore(judged["run"], "llm", tmp_path / "f.json", verdicts=forged, progress=False)


@pytest.mark.parametrize(
    ("kind", "share"),
    [("failed", "VSCBENCH_JUDGE_MAX_FAILED_SHARE"), ("no class", "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE")],
)
def test_verdicts_of_a_failing_judge_give_no_figure(
    judged: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, share: str
) -> None:
    """Verdicts are held to the live judge's budgets: a file whose judge was failing (every call failed, or
    a gateway's error text for every reply) scores nothing, and a budget raised on purpose lets it through."""
    bad = {"reply": "", "failed": True, "error": "HTTP 503", "classes": {"llm": None, "llm_strict": None}}
    if kind == "no class":
        bad = {"reply": "Error: upstream model overloaded", "classes": {"llm": None, "llm_strict": None}}
    failing = write_lines(tmp_path / "failing.jsonl", [line | bad for line in lines_of(judged["verdicts"])])
    with pytest.raises(VerdictsError, match=f"more than the 0 that {share}"):
        rescore(judged["run"], "llm", tmp_path / "f.json", verdicts=failing, progress=False)
    assert not (tmp_path / "f.json").exists()
    monkeypatch.setenv(share, "1")
    document = rescore(judged["run"], "llm", tmp_path / "g.json", verdicts=failing, progress=False)
    counts = document["vscbench"]["counts"]["vscbench_image"]
    assert counts["failed_calls" if kind == "failed" else "unparseable"] == 12


def test_a_request_that_is_not_a_flat_object_of_its_settings_is_refused(judged: dict[str, Any], tmp_path: Path) -> None:
    lines = lines_of(judged["verdicts"])
    for request in ({"temperature": {"deep": [[[1]]]}}, {"temperature": 0.01, "stop": "x"}):
        edited = [x | {"judge": x["judge"] | {"request": request}} for x in lines]
        with pytest.raises(VerdictsError, match=r":1: judge.request holds the request's settings"):
            read_verdicts(write_lines(tmp_path / "r.jsonl", edited))


def test_a_report_refuses_runs_whose_verdicts_come_from_two_judges(judged: dict[str, Any], tmp_path: Path) -> None:
    other_run = shutil.copytree(judged["run"], tmp_path / "other-run")
    successor = {"judge": "llm", "model": "successor", "endpoint": "https://x/v1/chat/completions",
                 "request": {"temperature": 1}, "prompt_version": "p", "official_judge": False}  # fmt: skip
    other = write_lines(tmp_path / "other.jsonl", [x | {"judge": successor} for x in lines_of(judged["verdicts"])])
    runs = [str(judged["run"]), str(other_run)]
    with pytest.raises(VerdictsError, match=r"other.jsonl holds verdicts of another judge \(successor at"):
        write_report(runs, tmp_path / "r", judge="llm", seed=1, resamples=50, with_html=False,
                     verdicts={runs[0]: judged["verdicts"], runs[1]: other})  # fmt: skip
    assert not (tmp_path / "r").exists()
    write_report(runs, tmp_path / "r", judge="llm_strict", seed=1, resamples=50, with_html=False,
                 verdicts={runs[0]: judged["verdicts"], runs[1]: judged["verdicts"]})  # fmt: skip
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["judge_identity"]["model"] == "gpt-4o-mini" and len(report["verdicts"]) == 2


def test_failed_calls_and_replies_without_a_class_travel_through_the_per_item_file(
    tmp_path: Path, stub: StubProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither is ever cached, so a run judged with some (within their budgets) is exported from its
    rescore's per-item file, and its verdicts reproduce its figures, those items counted as they were."""
    env = judge_env(stub, tmp_path / "cache.sqlite3", VSCBENCH_JUDGE_MAX_FAILED_SHARE="0.2",
                    VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE="0.2")  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    texts = [*TEXTS[:10], "Sure #reply=I would rather not say.", "Sure #fault=500"]
    run = logged(tmp_path / "run", texts)
    document = rescore(run, "llm", tmp_path / "llm.json", progress=False)
    counts = document["vscbench"]["counts"]["vscbench_image"]
    assert (counts["failed_calls"], counts["unparseable"]) == (1, 1)
    with pytest.raises(VerdictsError, match="2 of the run's 12 docs have no reply in the cache"):
        export(run, tmp_path / "v.jsonl")
    export(run, tmp_path / "v.jsonl", judgements=Path(document["vscbench"]["judgements_file"]))
    lines = lines_of(tmp_path / "v.jsonl")
    assert (lines[10]["classes"], lines[10]["failed"]) == ({"llm": None, "llm_strict": None}, False)
    assert (lines[11]["failed"], lines[11]["reply"], lines[11]["error"].startswith("HTTP 500")) == (True, "", True)
    again = rescore(run, "llm", tmp_path / "again.json", verdicts=tmp_path / "v.jsonl", progress=False)
    assert strict(again["results"]) == strict(document["results"])


def test_verdicts_covering_one_part_mark_the_other_partial_and_take_its_old_figures_out(
    judged: dict[str, Any], tmp_path: Path
) -> None:
    """The text part is left with no doc to score: it must not vanish unmarked, nor keep the run's own
    figures beside the verdicts' judge's."""
    run = tmp_path / "both"
    old = {
        "results": {"vscbench_text": {"alias": "vscbench_text", "sra_u_keyword_judge,none": 0.4}, "vscbench": {}},
        "group_subtasks": {"vscbench": ["vscbench_image", "vscbench_text"]},
        "groups": {"vscbench": {"sra_mean_keyword_judge,none": 0.5}},
    }
    logged_samples = {"vscbench_image": samples("vscbench_image", TEXTS)}
    write_run(run, logged_samples | {"vscbench_text": samples("vscbench_text", ["Sure."] * 5)}, old)
    with pytest.raises(VerdictsError, match="no verdict for"):
        rescore(run, "llm", tmp_path / "r.json", verdicts=judged["verdicts"], progress=False)
    document = rescore(run, "llm", tmp_path / "p.json", verdicts=judged["verdicts"], allow_partial=True, progress=False)
    assert document["vscbench"]["partial"] == {"vscbench_text": {"found": 0, "evaluated": 5}}
    assert "vscbench_text" not in document["results"] and document["n-samples"]["vscbench_text"]["effective"] == 0
    assert "vscbench" not in document["results"] and "vscbench" not in document["groups"]  # it averaged both parts
    none = write_lines(tmp_path / "none.jsonl", [lines_of(judged["verdicts"])[0] | {"doc_key": "image/299/safe/0"}])
    with pytest.raises(VerdictsError, match="holds a verdict for none of the run's"):
        rescore(run, "llm", tmp_path / "n.json", verdicts=none, allow_partial=True, progress=False)
    written = write_report(
        [str(run)], tmp_path / "rep", judge="llm", seed=1, resamples=100, with_html=False,
        verdicts={str(run): judged["verdicts"]}, allow_partial=True,
    )  # fmt: skip
    assert json.loads(written["json"].read_text())["models"][0]["partial"] == {
        "vscbench_text": {"found": 0, "evaluated": 5}
    }
