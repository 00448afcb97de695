"""Judge settings from the environment: lmms-eval's variable names, clear errors, no key in public views."""

from __future__ import annotations

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
        {"OPENAI_API_KEY": KEY, "OPENAI_API_URL": "http://user:pw-secret@judge.example.com:8443/v1?tok=abc"}
    )
    assert settings.endpoint == "http://judge.example.com:8443/v1/chat/completions"
    assert settings.public()["url"] == settings.endpoint
    shown = f"{settings.public()} {settings!r}"
    assert "pw-secret" not in shown and "tok=abc" not in shown and KEY not in shown
    assert (
        settings.redact(f"failed at {settings.url} with {KEY}")
        == "failed at http://user:***@judge.example.com:8443/v1/chat/completions?*** with ***"
    )


def test_only_a_loopback_url_goes_without_a_key() -> None:
    for url in ("http://localhost:8000/v1", "http://127.0.0.1:8000/v1", "http://[::1]:8000/v1"):
        assert from_env({"OPENAI_API_URL": url}).api_key == "EMPTY"
    with pytest.raises(JudgeNotConfigured, match="OPENAI_API_KEY is not set"):
        from_env({"OPENAI_API_URL": "http://judge.internal:8000/v1"})
