"""Judge settings from the environment: lmms-eval's variable names, clear errors, no key in public views."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest

from vscbench_task.dataset import datadir
from vscbench_task.judges.llm.settings import JudgeNotConfigured, from_env

KEY = "sk-settings-secret-123"


def test_defaults_follow_the_paper_and_lmms_eval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(datadir.ENV_VAR, str(tmp_path))
    settings = from_env({"OPENAI_API_KEY": KEY})
    assert settings.model == "gpt-4o-mini"
    assert settings.url == "https://api.openai.com/v1/chat/completions"
    assert (settings.concurrency, settings.preflight) == (16, True)
    assert settings.cache_path == tmp_path / "llm_judge_cache.sqlite3"
    assert settings.headers() == {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("http://127.0.0.1:8000/v1/chat/completions", "http://127.0.0.1:8000/v1/chat/completions"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/chat/completions"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1/chat/completions"),
    ],
)
def test_openai_url_full_or_base(given: str, used: str) -> None:
    assert from_env({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": given}).url == used


def test_model_and_tuning_settings() -> None:
    env = {"OPENAI_API_KEY": KEY, "MODEL_VERSION": "gpt-4o", "VSCBENCH_JUDGE_CONCURRENCY": "3"}
    env |= {"VSCBENCH_JUDGE_TIMEOUT": "2.5", "VSCBENCH_JUDGE_RETRIES": "0", "VSCBENCH_JUDGE_PREFLIGHT": "0"}
    env |= {"VSCBENCH_JUDGE_CACHE": "/tmp/x/cache.sqlite3"}
    settings = from_env(env)
    assert (settings.model, settings.concurrency, settings.timeout, settings.max_retries) == ("gpt-4o", 3, 2.5, 0)
    assert settings.preflight is False and settings.cache_path == Path("/tmp/x/cache.sqlite3")
    assert from_env({**env, "VSCBENCH_JUDGE_MODEL": "judge-x"}).model == "judge-x"


def test_azure_builds_the_deployment_url_and_uses_the_api_key_header() -> None:
    env = {"API_TYPE": "azure", "AZURE_API_KEY": KEY, "AZURE_ENDPOINT": "https://res.openai.azure.com/"}
    settings = from_env({**env, "AZURE_API_VERSION": "2024-06-01"})
    assert (
        settings.url
        == "https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-06-01"
    )
    assert settings.headers() == {"api-key": KEY}
    full = "https://res.openai.azure.com/openai/deployments/judge/chat/completions?api-version=2023-05-15"
    assert from_env({**env, "AZURE_ENDPOINT": full}).url == full
    assert settings.public()["url"] == "https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "OPENAI_API_KEY"),
        ({"OPENAI_API_KEY": "  "}, "OPENAI_API_KEY"),
        ({"API_TYPE": "azure", "AZURE_ENDPOINT": "https://x"}, "AZURE_API_KEY"),
        ({"API_TYPE": "azure", "AZURE_API_KEY": KEY}, "AZURE_ENDPOINT"),
        ({"API_TYPE": "bedrock", "OPENAI_API_KEY": KEY}, "API_TYPE"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "localhost:8000/v1"}, "OPENAI_API_URL"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_CONCURRENCY": "0"}, "VSCBENCH_JUDGE_CONCURRENCY"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_TIMEOUT": "soon"}, "VSCBENCH_JUDGE_TIMEOUT"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_TIMEOUT": "nan"}, "VSCBENCH_JUDGE_TIMEOUT"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_BACKOFF": "inf"}, "VSCBENCH_JUDGE_BACKOFF"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_BACKOFF_MAX": "inf"}, "VSCBENCH_JUDGE_BACKOFF_MAX"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_RETRIES": "1e9"}, "VSCBENCH_JUDGE_RETRIES"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_CONCURRENCY": "100000"}, "VSCBENCH_JUDGE_CONCURRENCY"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_FAILED_SHARE": "2"}, "VSCBENCH_JUDGE_MAX_FAILED_SHARE"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_FAILED_SHARE": "-0.1"}, "VSCBENCH_JUDGE_MAX_FAILED_SHARE"),
        (
            {"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE": "1.5"},
            "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE",
        ),
        (
            {"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE": "nan"},
            "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE",
        ),
        ({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http://127.0.0.1:99999/v1"}, "OPENAI_API_URL is not a valid URL"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http://[::1/v1"}, "OPENAI_API_URL is not a valid URL"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http:///v1"}, "OPENAI_API_URL names no host"),
        ({"API_TYPE": "azure", "AZURE_API_KEY": KEY, "AZURE_ENDPOINT": "https://x:70000"}, "AZURE_ENDPOINT is not"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_TOKENS": "\u0663"}, "VSCBENCH_JUDGE_MAX_TOKENS"),  # Arabic 3
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_TEMPERATURE": "\uff11"}, "VSCBENCH_JUDGE_TEMPERATURE"),  # fullwidth 1
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_TOKENS": "1_000"}, "VSCBENCH_JUDGE_MAX_TOKENS"),
        ({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_CONCURRENCY": "9" * 5000}, "VSCBENCH_JUDGE_CONCURRENCY='99999"),
    ],
)
def test_bad_settings_name_what_to_fix(env: dict[str, str], named: str) -> None:
    with pytest.raises(JudgeNotConfigured, match=named):
        from_env(env)


def test_the_key_stays_out_of_repr_and_public_view() -> None:
    settings = from_env({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http://h/v1"})
    assert KEY not in repr(settings) and KEY not in str(settings.public())
    assert settings.redact(f"server said {KEY}") == "server said ***"


def test_a_password_or_token_in_the_url_never_reaches_a_public_view() -> None:
    settings = from_env(
        {"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http://user:pw-secret@judge.example.com:8443/v1?tok=abcdefgh"}
    )
    assert settings.endpoint == "http://judge.example.com:8443/v1/chat/completions"
    assert settings.public()["url"] == settings.endpoint
    shown = f"{settings.public()} {settings!r}"
    assert "pw-secret" not in shown and "abcdefgh" not in shown and KEY not in shown
    assert (
        settings.redact(f"failed at {settings.url} with {KEY}")
        == "failed at http://user:***@judge.example.com:8443/v1/chat/completions?*** with ***"
    )


def test_only_a_loopback_url_goes_without_a_key() -> None:
    for url in ("http://localhost:8000/v1", "http://127.0.0.1:8000/v1", "http://[::1]:8000/v1"):
        assert from_env({"OPENAI_API_URL": url}).api_key == "EMPTY"
    with pytest.raises(JudgeNotConfigured, match="OPENAI_API_KEY is not set"):
        from_env({"OPENAI_API_URL": "http://judge.internal:8000/v1"})


def test_a_url_no_client_can_call_is_refused_without_quoting_its_secrets() -> None:
    with pytest.raises(JudgeNotConfigured) as err:
        from_env({"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http://user:pw-secret-99@[::1/v1"})
    assert "pw-secret-99" not in str(err.value)


def test_the_unparseable_budget_defaults_to_five_percent_and_is_public() -> None:
    settings = from_env({"OPENAI_API_KEY": KEY})
    assert settings.max_unparseable_share == 0.05 and settings.public()["max_unparseable_share"] == 0.05
    assert from_env({"OPENAI_API_KEY": KEY, "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE": "0.2"}).max_unparseable_share == 0.2


def test_every_encoding_of_every_secret_sent_is_redacted() -> None:
    """The key and the URL's password and token come back raw, percent-encoded, JSON-escaped, and the
    password as the base64 of user:password that HTTP Basic auth sends (a proxy echoing its headers)."""
    key = 'sk-"quoted"/key+plus é'
    url = "http://gate-user:p%40ss%2Fword-77@judge.example.com/v1?token=tok%2Bsecret-55"
    settings = from_env({"OPENAI_API_KEY": key, "OPENAI_API_URL": url})
    basic = base64.b64encode(b"gate-user:p@ss/word-77").decode()
    echoes = [
        key,
        urllib.parse.quote(key, safe=""),
        json.dumps(key)[1:-1],
        json.dumps(key, ensure_ascii=False)[1:-1],
        "p%40ss%2Fword-77",
        "p@ss/word-77",
        basic,
        "tok%2Bsecret-55",
        "tok+secret-55",
    ]
    for echo in echoes:
        text = f"proxy said: Authorization {echo} ."
        assert settings.holds_secret(text), echo
        assert settings.redact(text) == "proxy said: Authorization *** .", echo


def test_a_short_key_is_never_cut_out_of_text() -> None:
    """A placeholder key such as 1 (a self-hosted judge) must not turn HTTP 401 into HTTP 40***."""
    settings = from_env({"OPENAI_API_KEY": "1", "OPENAI_API_URL": "http://judge.internal:8000/v1"})
    assert settings.secrets() == []
    assert settings.redact("HTTP 401: CLASS: 1_SAFE") == "HTTP 401: CLASS: 1_SAFE"
    assert not settings.holds_secret("CLASS: 1_SAFE")
