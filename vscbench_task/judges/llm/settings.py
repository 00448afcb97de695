"""Judge configuration from the environment, following lmms-eval's conventions.

lmms-eval's own judges read ``API_TYPE``, ``OPENAI_API_KEY``, ``OPENAI_API_URL``, ``MODEL_VERSION`` and,
for Azure, ``AZURE_API_KEY``, ``AZURE_ENDPOINT`` and ``AZURE_API_VERSION``/``API_VERSION``; we read the
same names so one environment configures every judge of a run. ``VSCBENCH_JUDGE_*`` settings cover what
is ours (concurrency, cache, timeouts, retries, the failure budget); each is checked to be a finite number
in a sensible range. Every problem raises ``JudgeNotConfigured`` naming the setting to fix; nothing falls
back to the keyword judge. A loopback URL needs no key (``vllm serve`` asks for none by default).

No secret (the key, a password or a query in the URL) reaches ``repr``, ``public()`` (the view written to
results files and logs) or ``endpoint`` (what identifies the judge in caches and validations);
``redact`` blanks them out of anything that quotes a server or a URL.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from vscbench_task.dataset import datadir
from vscbench_task.errors import VSCBenchError
from vscbench_task.guides import guide

DEFAULT_MODEL = "gpt-4o-mini"  # the paper's judge
TEMPERATURE = 0.01  # the official setting
DEFAULT_OPENAI_URL = "https://api.openai.com/v1/chat/completions"
DEFAULT_AZURE_API_VERSION = "2024-02-15-preview"  # lmms-eval's default
CHAT_PATH = "/chat/completions"
CACHE_FILE = "llm_judge_cache.sqlite3"


class JudgeNotConfigured(VSCBenchError):
    """The LLM judge cannot run; the message names the setting to fix."""


# A loopback server (``vllm serve``, a proxy) usually wants no key; OpenAI-compatible clients send this one.
LOCAL_PLACEHOLDER_KEY = "EMPTY"
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


@dataclass(frozen=True, repr=False)
class JudgeSettings:
    """Everything a judge run needs. ``url`` is the full chat-completions URL.

    ``max_failed_share``: the share of items whose call may fail (after every retry) before the run is
    stopped as failed; within it, failures are counted and read as not recognised, as officially.
    """

    api_type: str
    url: str
    model: str
    api_key: str
    concurrency: int = 16
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 60.0
    max_failed_share: float = 0.01
    cache_path: Path = field(default_factory=lambda: datadir.resolve() / CACHE_FILE)
    preflight: bool = True

    def __repr__(self) -> str:
        return f"JudgeSettings({self.public()})"

    def headers(self) -> dict[str, str]:
        """Authentication as each API type expects it."""
        if self.api_type == "azure":
            return {"api-key": self.api_key}
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def endpoint(self) -> str:
        """The URL without credentials or query (which can carry tokens): what identifies the endpoint in
        caches, validations and results files."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def public(self) -> dict[str, Any]:
        """The settings as written to results files and logs: never a key, a password or a URL query."""
        return {
            "api_type": self.api_type,
            "url": self.endpoint,
            "model": self.model,
            "temperature": TEMPERATURE,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout,
            "max_retries": self.max_retries,
            "max_failed_share": self.max_failed_share,
            "cache": str(self.cache_path),
        }

    def secrets(self) -> list[str]:
        """Every secret these settings hold: the key, the URL's password and its whole query."""
        parts = urlsplit(self.url)
        found = [self.api_key, parts.password or "", parts.query]
        return sorted({s for s in found if s and s != LOCAL_PLACEHOLDER_KEY}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every secret blanked out, for anything that quotes a server or a URL."""
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text


def failure_budget(max_failed_share: float, items: int) -> int:
    """How many of ``items`` judge calls may fail (after every retry) before no figure may be given."""
    return math.floor(max_failed_share * items + 1e-9)


def _number(env: Mapping[str, str], name: str, default: float, *, integer: bool, minimum: float, maximum: float) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:  # NaN fails both comparisons
        kind = "a whole number" if integer else "a number"
        raise JudgeNotConfigured(
            f"{name}={raw!r} is not {kind} between {minimum:g} and {maximum:g}; set it like {name}={default}"
        )
    return value


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (a local server, which usually needs no key)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def chat_url(url: str) -> str:
    """Accept lmms-eval's full chat-completions URL or an OpenAI-style base URL (``.../v1``); a query
    (some gateways take a token there) stays at the end."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    path = path if path.endswith(CHAT_PATH) else path + CHAT_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


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
            f"keyword-judge tasks (vscbench_image, vscbench_text) instead; see {guide('llm_judge')}."
        )
    return value


def from_env(env: Mapping[str, str] | None = None) -> JudgeSettings:
    """Read and check the judge settings; raises ``JudgeNotConfigured`` naming what is missing or wrong."""
    env = os.environ if env is None else env
    api_type = env.get("API_TYPE", "openai").strip().lower() or "openai"
    model = env.get("VSCBENCH_JUDGE_MODEL", "").strip() or env.get("MODEL_VERSION", "").strip() or DEFAULT_MODEL
    if api_type == "openai":
        url = chat_url(env.get("OPENAI_API_URL", "").strip() or DEFAULT_OPENAI_URL)
        if is_loopback(url) and not env.get("OPENAI_API_KEY", "").strip():
            api_key = LOCAL_PLACEHOLDER_KEY  # a keyless local server (vllm serve): no real key needed
        else:
            api_key = _require(env, "OPENAI_API_KEY", "the judge's API key")
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
        concurrency=_number(env, "VSCBENCH_JUDGE_CONCURRENCY", 16, integer=True, minimum=1, maximum=256),
        timeout=_number(env, "VSCBENCH_JUDGE_TIMEOUT", 60.0, integer=False, minimum=0.001, maximum=3600),
        max_retries=_number(env, "VSCBENCH_JUDGE_RETRIES", 5, integer=True, minimum=0, maximum=20),
        backoff=_number(env, "VSCBENCH_JUDGE_BACKOFF", 1.0, integer=False, minimum=0, maximum=600),
        backoff_max=_number(env, "VSCBENCH_JUDGE_BACKOFF_MAX", 60.0, integer=False, minimum=0, maximum=3600),
        max_failed_share=_number(env, "VSCBENCH_JUDGE_MAX_FAILED_SHARE", 0.01, integer=False, minimum=0, maximum=1),
        cache_path=Path(cache).expanduser() if cache else datadir.resolve() / CACHE_FILE,
        preflight=env.get("VSCBENCH_JUDGE_PREFLIGHT", "1").strip().lower() not in ("0", "false", "no", "off"),
    )
