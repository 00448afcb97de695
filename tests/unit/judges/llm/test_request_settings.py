"""Any chat-completions judge model, its request settings explicit: the default request is exactly the
official one and keeps today's cache key; a successor's settings are sent as configured, recorded in its
identity and in every output, and never mix with another request's verdicts; against a server answering
as OpenAI's reasoning models do, the default settings stop at preflight naming the setting to change, and
the successor settings pass; the served model and fingerprint are recorded, the reasoning text never kept."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.judge_env import FAKE_KEY, inputs, judge_env
from tests.support.logged_run import STAMP, samples, write_run
from tests.support.stub_server import REASONING_TEXT, StubProcess, rule_class
from vscbench_task.cli import main as cli_main
from vscbench_task.judges.identity import judge_identity
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.judge import JudgeFailed, LLMJudge, _cache_key
from vscbench_task.judges.llm.settings import JudgeNotConfigured, from_env
from vscbench_task.validation.validity import llm_validity
from vscbench_task.verdict_export import export

TEXTS = ["I am sorry, I cannot.", "Sure.", "Be careful: this is illegal.", "The image shows a cat."]
SUCCESSOR = {  # what a reasoning model takes
    "VSCBENCH_JUDGE_MODEL": "o4-mini",
    "VSCBENCH_JUDGE_TEMPERATURE": "omit",
    "VSCBENCH_JUDGE_MAX_TOKENS": "2000",
    "VSCBENCH_JUDGE_MAX_TOKENS_PARAM": "max_completion_tokens",
    "VSCBENCH_JUDGE_REASONING_EFFORT": "low",
}


def settings(**env: str) -> Any:
    return from_env({"OPENAI_API_KEY": FAKE_KEY, **env})


def test_the_default_request_is_exactly_the_official_one_byte_for_byte(tmp_path: Path) -> None:
    with StubProcess(tmp_path / "calls.jsonl", log_bodies=True) as stub:
        judge = LLMJudge(from_env(judge_env(stub, tmp_path / "c.sqlite3")))
        given = inputs(TEXTS[:2])
        judge.judge(given, progress=False)
        logged = stub.calls()
    assert len(logged) == 2
    for entry in logged:
        sent = json.loads(entry["body"], object_pairs_hook=list)
        assert [name for name, _ in sent] == ["model", "messages", "temperature"]  # nothing else, in this order
        official = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": None}], "temperature": 0.01}
        item = next(i for i in given if prompt.render(i.query, i.response) == dict(sent)["messages"][0][1][1])
        official["messages"][0]["content"] = prompt.render(item.query, item.response)
        # the bytes are those the HTTP client makes of the official body, and nothing else
        assert entry["body"].encode() == httpx.Request("POST", "http://x", json=official).content
        assert entry["fields"] == {"model": "gpt-4o-mini", "temperature": 0.01}


@pytest.mark.parametrize(
    ("env", "request_sent"),
    [
        ({}, {"temperature": 0.01}),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "0.01"}, {"temperature": 0.01}),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "OMIT"}, {}),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "1"}, {"temperature": 1.0}),
        ({"VSCBENCH_JUDGE_MAX_TOKENS": "512"}, {"temperature": 0.01, "max_tokens": 512}),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "omit", "VSCBENCH_JUDGE_MAX_TOKENS": "512",
          "VSCBENCH_JUDGE_MAX_TOKENS_PARAM": "max_completion_tokens", "VSCBENCH_JUDGE_REASONING_EFFORT": "high"},
         {"max_completion_tokens": 512, "reasoning_effort": "high"}),
    ],
)  # fmt: skip
def test_request_settings_send_exactly_what_they_set(env: dict[str, str], request_sent: dict[str, Any]) -> None:
    assert settings(**env).request() == request_sent


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"VSCBENCH_JUDGE_TEMPERATURE": "warm"}, "VSCBENCH_JUDGE_TEMPERATURE='warm' is neither a number"),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "nan"}, "VSCBENCH_JUDGE_TEMPERATURE=omit to send none"),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "3"}, "between 0 and 2"),
        ({"VSCBENCH_JUDGE_MAX_TOKENS": "0"}, "VSCBENCH_JUDGE_MAX_TOKENS='0' is not a whole number between 1"),
        ({"VSCBENCH_JUDGE_MAX_TOKENS_PARAM": "max_completion_tokens"}, "set VSCBENCH_JUDGE_MAX_TOKENS too"),
        ({"VSCBENCH_JUDGE_MAX_TOKENS": "9", "VSCBENCH_JUDGE_MAX_TOKENS_PARAM": "tokens"}, "is not one of max_tokens"),
        ({"VSCBENCH_JUDGE_REASONING_EFFORT": "low; rm"}, "VSCBENCH_JUDGE_REASONING_EFFORT='low; rm' is not an effort"),
    ],
)
def test_a_bad_request_setting_is_refused_naming_it(env: dict[str, str], named: str) -> None:
    with pytest.raises(JudgeNotConfigured, match=named.replace("(", r"\(")):
        settings(**env)


@pytest.mark.parametrize(
    ("env", "official"),
    [
        ({}, True),
        ({"VSCBENCH_JUDGE_MODEL": "gpt-4o-mini-2024-07-18"}, True),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "0.01"}, True),
        ({"VSCBENCH_JUDGE_TEMPERATURE": "0"}, False),
        ({"VSCBENCH_JUDGE_MAX_TOKENS": "4096"}, False),
        ({"VSCBENCH_JUDGE_MODEL": "gpt-4.1-mini"}, False),
        (SUCCESSOR, False),
    ],
)
def test_only_the_official_model_and_request_are_the_official_judge(env: dict[str, str], official: bool) -> None:
    found = settings(**env)
    assert found.official() is official
    assert found.public()["official_judge"] is official and judge_identity(found)["official_judge"] is official
    assert judge_identity(found)["request"] == found.request() == found.public()["request"]


def test_the_default_settings_keep_todays_cache_key_and_others_never_share_it() -> None:
    (item,) = inputs(TEXTS[:1])
    default = settings()
    before = json.dumps([default.model, default.endpoint, prompt.PROMPT_VERSION, item.query, item.response])
    assert _cache_key(default, item) == hashlib.sha256(before.encode("ascii")).hexdigest()  # the key 0.2.0 wrote
    assert _cache_key(settings(VSCBENCH_JUDGE_TEMPERATURE="0.01"), item) == _cache_key(default, item)
    others = [settings(VSCBENCH_JUDGE_TEMPERATURE="omit"), settings(VSCBENCH_JUDGE_TEMPERATURE="1"),
              settings(VSCBENCH_JUDGE_MAX_TOKENS="100"), settings(VSCBENCH_JUDGE_REASONING_EFFORT="low")]  # fmt: skip
    keys = {_cache_key(s, item) for s in [default, *others]}
    assert len(keys) == 5


def test_verdicts_of_two_requests_never_mix_in_one_cache(tmp_path: Path) -> None:
    given = inputs(TEXTS)
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        env = judge_env(stub, tmp_path / "c.sqlite3")
        first = LLMJudge(from_env(env)).judge(given, progress=False)
        again = LLMJudge(from_env(env)).judge(given, progress=False)
        other = LLMJudge(from_env({**env, "VSCBENCH_JUDGE_TEMPERATURE": "0.7"})).judge(given, progress=False)
        temperatures = [entry["fields"].get("temperature") for entry in stub.calls()]
    assert (first.stats["api_calls"], again.stats["api_calls"], other.stats["api_calls"]) == (4, 0, 4)
    assert temperatures == [0.01] * 4 + [0.7] * 4
    assert other.settings["judge_identity"]["request"] == {"temperature": 0.7}


def logged_run(folder: Path) -> Path:
    write_run(folder, {"vscbench_image": samples("vscbench_image", TEXTS)})
    return folder


def test_the_default_settings_against_a_reasoning_model_stop_at_preflight_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = logged_run(tmp_path / "run")
    with StubProcess(tmp_path / "calls.jsonl", reasoning=True) as stub:
        env = judge_env(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_PREFLIGHT="1", VSCBENCH_JUDGE_MODEL="o4-mini")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert cli_main(["rescore", str(run), "--judge", "llm"]) == 1
        said = capsys.readouterr().err
        assert "failed its preflight call" in said and "unsupported_value temperature" in said
        assert "set VSCBENCH_JUDGE_TEMPERATURE=omit" in said and "unreachable" not in said
        assert [(c["status"], c["roles"]) for c in stub.calls()] == [(400, ["user"])]  # the probe only: nothing paid
        monkeypatch.setenv("VSCBENCH_JUDGE_TEMPERATURE", "omit")
        monkeypatch.setenv("VSCBENCH_JUDGE_MAX_TOKENS", "2000")
        assert cli_main(["rescore", str(run), "--judge", "llm"]) == 1
        said = capsys.readouterr().err
        assert (
            "unsupported_parameter max_tokens" in said
            and "VSCBENCH_JUDGE_MAX_TOKENS_PARAM=max_completion_tokens" in said
        )
    assert not (run / f"{STAMP}_rescore_llm.json").exists()


def test_without_preflight_the_first_refused_call_stops_the_run_and_nothing_is_retried(tmp_path: Path) -> None:
    with StubProcess(tmp_path / "calls.jsonl", reasoning=True) as stub:
        judge = LLMJudge(from_env(judge_env(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_CONCURRENCY="1")))
        with pytest.raises(JudgeFailed, match="set VSCBENCH_JUDGE_TEMPERATURE=omit"):
            judge.judge(inputs(TEXTS), progress=False)
        calls = stub.calls()
    assert len(calls) == 1 and calls[0]["fields"]["temperature"] == 0.01  # one call, not retried, no other setting


def test_a_successor_configured_by_settings_alone_passes_with_its_request_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = logged_run(tmp_path / "run")
    with StubProcess(tmp_path / "calls.jsonl", reasoning=True) as stub:
        env = judge_env(stub, tmp_path / "c.sqlite3", VSCBENCH_JUDGE_PREFLIGHT="1", **SUCCESSOR)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert cli_main(["rescore", str(run), "--judge", "llm"]) == 0
        export(run, tmp_path / "verdicts.jsonl")
        calls = stub.calls()
    assert len(calls) == len(TEXTS) + 1 and {c["status"] for c in calls} == {200}  # the probe, then one per doc
    assert all(c["fields"] == {"model": "o4-mini", "max_completion_tokens": 2000, "reasoning_effort": "low"}
               for c in calls)  # fmt: skip
    document = json.loads((run / f"{STAMP}_rescore_llm.json").read_text())
    block = document["vscbench"]
    expected_request = {"max_completion_tokens": 2000, "reasoning_effort": "low"}
    assert block["judge_identity"]["request"] == block["judge_settings"]["request"] == expected_request
    assert block["judge_identity"]["official_judge"] is False and block["judge_settings"]["official_judge"] is False
    assert block["served_models"] == ["o4-mini-2025-04-16"]
    lines = [json.loads(x) for x in Path(block["judgements_file"]).read_text().splitlines()]
    assert {(x["llm_judge_served_model"], x["llm_judge_system_fingerprint"]) for x in lines} == {
        ("o4-mini-2025-04-16", "fp_stub_reasoning")
    }
    # the content is the reply, read by both readings; the reasoning text is neither read nor kept
    assert [x["llm_judge_class"] for x in lines] == [rule_class(t) for t in TEXTS]
    assert [x["llm_judge_strict_class"] for x in lines] == [rule_class(t) for t in TEXTS]
    verdicts = [json.loads(x) for x in (tmp_path / "verdicts.jsonl").read_text().splitlines()]
    assert {v["served_model"] for v in verdicts} == {"o4-mini-2025-04-16"} and verdicts[0]["judge"][
        "request"
    ] == expected_request
    for written in [*run.iterdir(), tmp_path / "verdicts.jsonl", *tmp_path.glob("c.sqlite3*")]:  # WAL included
        assert REASONING_TEXT.encode() not in written.read_bytes(), written.name


def test_a_validation_is_cited_only_for_the_request_it_was_measured_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        env = judge_env(stub, tmp_path / "c.sqlite3")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        args = ["validate-judge", "--judge", "llm", "--gold", "msts", "--limit", "10", "--resamples", "100"]
        assert cli_main([*args, "--out", str(tmp_path / "v")]) == 0
    document = json.loads((tmp_path / "v" / "validation.json").read_text())
    assert (
        document["judge_identity"]["request"] == {"temperature": 0.01} and document["judge_identity"]["official_judge"]
    )
    assert llm_validity(from_env(env))["validated"] is True
    other = llm_validity(from_env({**env, "VSCBENCH_JUDGE_TEMPERATURE": "omit"}))
    assert other["validated"] is False and "not validated" in other["note"]
