"""Judge configuration from the environment, following lmms-eval's conventions.

lmms-eval's own judges read ``API_TYPE``, ``OPENAI_API_KEY``, ``OPENAI_API_URL``, ``MODEL_VERSION`` and,
for Azure, ``AZURE_API_KEY``, ``AZURE_ENDPOINT`` and ``AZURE_API_VERSION``/``API_VERSION``; we read the
same names so one environment configures every judge of a run. ``VSCBENCH_JUDGE_*`` settings cover what
is ours (concurrency, cache, timeouts, retries). Every problem raises ``JudgeNotConfigured`` naming the
setting to fix; nothing falls back to the keyword judge.

The API key is kept out of ``repr`` and out of ``public()``, the view written to results files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from vscbench_task.dataset import datadir
from vscbench_task.errors import VSCBenchError

DEFAULT_MODEL = "gpt-4o-mini"  # the paper's judge
TEMPERATURE = 0.01  # the official setting
DEFAULT_OPENAI_URL = "https://api.openai.com/v1/chat/completions"
DEFAULT_AZURE_API_VERSION = "2024-02-15-preview"  # lmms-eval's default
CHAT_PATH = "/chat/completions"
CACHE_FILE = "llm_judge_cache.sqlite3"


class JudgeNotConfigured(VSCBenchError):
    """The LLM judge cannot run; the message names the setting to fix."""


@dataclass(frozen=True)
class JudgeSettings:
    """Everything a judge run needs. ``url`` is the full chat-completions URL."""

    api_type: str
    url: str
    model: str
    api_key: str = field(repr=False)
    concurrency: int = 16
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 60.0
    cache_path: Path = field(default_factory=lambda: datadir.resolve() / CACHE_FILE)
    preflight: bool = True

    def headers(self) -> dict[str, str]:
        """Authentication as each API type expects it."""
        if self.api_type == "azure":
            return {"api-key": self.api_key}
        return {"Authorization": f"Bearer {self.api_key}"}

    def public(self) -> dict[str, Any]:
        """The settings as written to results files: no key, and no URL query (it can carry tokens)."""
        parts = urlsplit(self.url)
        return {
            "api_type": self.api_type,
            "url": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "model": self.model,
            "temperature": TEMPERATURE,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout,
            "max_retries": self.max_retries,
            "cache": str(self.cache_path),
        }

    def redact(self, text: str) -> str:
        """``text`` with the API key blanked out, for error messages that quote a server's reply."""
        return text.replace(self.api_key, "***") if self.api_key else text


def _number(env: Mapping[str, str], name: str, default: float, *, integer: bool, minimum: float) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "an integer" if integer else "a number"
        raise JudgeNotConfigured(f"{name}={raw!r} is not {kind} >= {minimum}; set it like {name}={default}")
    return value


def chat_url(url: str) -> str:
    """Accept lmms-eval's full chat-completions URL or an OpenAI-style base URL (``.../v1``)."""
    url = url.strip().rstrip("/")
    return url if url.endswith(CHAT_PATH) else url + CHAT_PATH


def _azure_url(endpoint: str, model: str, api_version: str) -> str:
    """A full Azure deployment URL as given, or one built from the resource endpoint and the model name."""
    endpoint = endpoint.strip().rstrip("/")
    if CHAT_PATH not in endpoint:
        endpoint = f"{endpoint}/openai/deployments/{model}{CHAT_PATH}"
    parts = urlsplit(endpoint)
    query = parse_qs(parts.query)
    query.setdefault("api-version", [api_version])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))


def _require(env: Mapping[str, str], name: str, why: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise JudgeNotConfigured(
            f"the VSCBench LLM judge is not configured: {name} is not set ({why}). Set {name}, or run the "
            "keyword-judge tasks (vscbench_image, vscbench_text) instead; see docs/llm_judge.md."
        )
    return value


def from_env(env: Mapping[str, str] | None = None) -> JudgeSettings:
    """Read and check the judge settings; raises ``JudgeNotConfigured`` naming what is missing or wrong."""
    env = os.environ if env is None else env
    api_type = env.get("API_TYPE", "openai").strip().lower() or "openai"
    model = env.get("VSCBENCH_JUDGE_MODEL", "").strip() or env.get("MODEL_VERSION", "").strip() or DEFAULT_MODEL
    if api_type == "openai":
        api_key = _require(env, "OPENAI_API_KEY", "the judge's API key")
        url = chat_url(env.get("OPENAI_API_URL", "").strip() or DEFAULT_OPENAI_URL)
    elif api_type == "azure":
        api_key = _require(env, "AZURE_API_KEY", "the Azure OpenAI key")
        endpoint = _require(env, "AZURE_ENDPOINT", "the Azure resource or deployment URL")
        version = env.get("AZURE_API_VERSION", "").strip() or env.get("API_VERSION", "").strip()
        url = _azure_url(endpoint, model, version or DEFAULT_AZURE_API_VERSION)
    else:
        raise JudgeNotConfigured(f"API_TYPE={api_type!r} is not supported: set API_TYPE to 'openai' or 'azure'")
    if not url.startswith(("http://", "https://")):
        raise JudgeNotConfigured(f"the judge URL {url!r} must start with http:// or https://: check OPENAI_API_URL")
    cache = env.get("VSCBENCH_JUDGE_CACHE", "").strip()
    return JudgeSettings(
        api_type=api_type,
        url=url,
        model=model,
        api_key=api_key,
        concurrency=_number(env, "VSCBENCH_JUDGE_CONCURRENCY", 16, integer=True, minimum=1),
        timeout=_number(env, "VSCBENCH_JUDGE_TIMEOUT", 60.0, integer=False, minimum=0.001),
        max_retries=_number(env, "VSCBENCH_JUDGE_RETRIES", 5, integer=True, minimum=0),
        backoff=_number(env, "VSCBENCH_JUDGE_BACKOFF", 1.0, integer=False, minimum=0),
        backoff_max=_number(env, "VSCBENCH_JUDGE_BACKOFF_MAX", 60.0, integer=False, minimum=0),
        cache_path=Path(cache).expanduser() if cache else datadir.resolve() / CACHE_FILE,
        preflight=env.get("VSCBENCH_JUDGE_PREFLIGHT", "1").strip().lower() not in ("0", "false", "no", "off"),
    )
