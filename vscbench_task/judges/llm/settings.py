"""Judge configuration from the environment, following lmms-eval's conventions.

lmms-eval's own judges read ``API_TYPE``, ``OPENAI_API_KEY``, ``OPENAI_API_URL``, ``MODEL_VERSION`` and,
for Azure, ``AZURE_API_KEY``, ``AZURE_ENDPOINT`` and ``AZURE_API_VERSION``/``API_VERSION``; we read the
same names so one environment configures every judge of a run. ``VSCBENCH_JUDGE_*`` settings cover what
is ours (concurrency, cache, timeouts, retries, the budgets of failed calls and of replies without a
class, and the request: temperature, a token limit and how it is sent, a reasoning effort); each is checked
to be a finite number in a sensible range, and the URL to be one a client can call (a port in range,
brackets closed). Every problem raises ``JudgeNotConfigured`` naming the setting to fix; nothing falls
back to the keyword judge. A loopback URL needs no key (``vllm serve`` asks for none by default).

The request. By default it is exactly the official one: the model, one user message, ``temperature`` 0.01,
nothing else (``request()``). A successor judge may need another (a reasoning model takes no temperature
but its default, and its token limit as ``max_completion_tokens``): ``VSCBENCH_JUDGE_TEMPERATURE`` (a number,
or ``omit``: not sent, the model's default applies), ``VSCBENCH_JUDGE_MAX_TOKENS`` with
``VSCBENCH_JUDGE_MAX_TOKENS_PARAM`` (``max_tokens`` or ``max_completion_tokens``; nothing is sent unless the
limit is set) and ``VSCBENCH_JUDGE_REASONING_EFFORT`` (sent only when set). The request is part of the
judge's identity: only the official model with the official request is ``official()``.

Secrets. No secret (the key, a password or a query in the URL) reaches ``repr``, ``public()`` (the view
written to results files and logs) or ``endpoint`` (what identifies the judge in caches and validations):
the key is only ever sent, in a header, and never written by this package. ``redact`` blanks secrets out
of what is shown or written *about* a call: error messages (a server quoting the key back, an exception
naming the URL) and a reply as written to audit files. It never touches a reply before it is parsed or
cached: a reply holding a secret is parsed as received and not cached (``holds_secret``). A secret comes
back in other forms than it was given, so each is redacted in every encoding that is sent: as given,
percent-encoded and percent-decoded, JSON-escaped, and, for a URL's password, the base64 of
``user:password`` that HTTP Basic auth sends. A secret shorter than ``MIN_SECRET_CHARS`` is never
substring-redacted: blanking a key ``1`` would turn "HTTP 401" into "HTTP 40***" and ``CLASS: 1_SAFE``
into nonsense. What protects such a key (a placeholder for a self-hosted judge, not a credential worth
the name) is that it is never written anywhere in the first place; a server that echoes it back can
show it in an error message.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, unquote, urlencode, urlsplit, urlunsplit

from vscbench_task.dataset import datadir
from vscbench_task.errors import VSCBenchError
from vscbench_task.guides import guide

DEFAULT_MODEL = "gpt-4o-mini"  # the paper's judge
OFFICIAL_MODELS = (DEFAULT_MODEL, "gpt-4o-mini-2024-07-18")  # the alias, and the snapshot it named for the paper
TEMPERATURE = 0.01  # the official setting
OFFICIAL_REQUEST: dict[str, Any] = {"temperature": TEMPERATURE}  # every field beside the model and the message
# The request fields these settings can send beside the model and the message (``JudgeSettings.request``).
REQUEST_FIELDS: tuple[str, ...] = ("temperature", "max_tokens", "max_completion_tokens", "reasoning_effort")
MAX_TOKENS_PARAMS = ("max_tokens", "max_completion_tokens")
OMIT = "omit"  # VSCBENCH_JUDGE_TEMPERATURE=omit: no temperature sent
DEFAULT_OPENAI_URL = "https://api.openai.com/v1/chat/completions"
DEFAULT_AZURE_API_VERSION = "2024-02-15-preview"  # lmms-eval's default
CHAT_PATH = "/chat/completions"
CACHE_FILE = "llm_judge_cache.sqlite3"
MIN_SECRET_CHARS = 8  # shorter secrets are never substring-redacted (see the module)
REDACTED = "***"


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
    ``max_unparseable_share``: the same for replies in which the official reading finds no class (a
    gateway's error text, an empty or refused reply): within it they count as not recognised, as
    officially; past it the judge is not judging and the run stops as failed.
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
    max_unparseable_share: float = 0.05
    cache_path: Path = field(default_factory=lambda: datadir.resolve() / CACHE_FILE)
    preflight: bool = True
    temperature: float | None = TEMPERATURE  # None: not sent, the model's default applies
    max_tokens: int | None = None  # None: no limit sent
    max_tokens_param: str = "max_tokens"
    reasoning_effort: str | None = None  # None: not sent

    def request(self) -> dict[str, Any]:
        """Every field of a call's body beside the model and the message, as sent (the official one by
        default: ``OFFICIAL_REQUEST``)."""
        found: dict[str, Any] = {}
        if self.temperature is not None:
            found["temperature"] = self.temperature
        if self.max_tokens is not None:
            found[self.max_tokens_param] = self.max_tokens
        if self.reasoning_effort is not None:
            found["reasoning_effort"] = self.reasoning_effort
        return found

    def official(self) -> bool:
        """Whether these settings are the official judge: the official model and exactly the official request."""
        return is_official(self.model, self.request())

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
        return _endpoint(self.url)

    def public(self) -> dict[str, Any]:
        """The settings as written to results files and logs: never a key, a password or a URL query."""
        return {
            "api_type": self.api_type,
            "url": self.endpoint,
            "model": self.model,
            "temperature": self.temperature,
            "request": self.request(),
            "official_judge": self.official(),
            "concurrency": self.concurrency,
            "timeout_s": self.timeout,
            "max_retries": self.max_retries,
            "max_failed_share": self.max_failed_share,
            "max_unparseable_share": self.max_unparseable_share,
            "cache": str(self.cache_path),
        }

    def secrets(self) -> list[str]:
        """Every secret these settings send (the key, the URL's password, its query and each query value),
        in every encoding it is sent or may come back in, longest first; none shorter than
        ``MIN_SECRET_CHARS``."""
        return list(_secrets(self.api_key, self.url))

    def redact(self, text: str) -> str:
        """``text`` with every secret blanked out: for what is shown or written about a call, never for a
        reply before it is parsed or cached."""
        for secret in self.secrets():
            text = text.replace(secret, REDACTED)
        return text

    def holds_secret(self, text: str) -> bool:
        """Whether ``text`` holds a secret in any of its encodings (such a reply is not cached)."""
        return any(secret in text for secret in self.secrets())


# Both are asked for every reply a judge gives (its details are redacted, a reply holding a secret is not
# cached): worked out once per key and URL, a report of 100 models' cached verdicts spends 13 s less CPU.
@functools.lru_cache(maxsize=16)
def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@functools.lru_cache(maxsize=16)
def _secrets(api_key: str, url: str) -> tuple[str, ...]:
    parts = urlsplit(url)
    given = [api_key, parts.password or "", parts.query, *(value for _, value in parse_qsl(parts.query))]
    found = {
        encoded for secret in given if secret and secret != LOCAL_PLACEHOLDER_KEY for encoded in _encodings(secret)
    }
    if parts.password:  # HTTP Basic auth, as httpx builds it from the URL
        userpass = f"{unquote(parts.username or '')}:{unquote(parts.password)}".encode()
        found.add(base64.b64encode(userpass).decode("ascii"))
    return tuple(sorted({s for s in found if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True))


def _encodings(secret: str) -> set[str]:
    """A secret as given, percent-encoded (path and form style), percent-decoded and JSON-escaped."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        unquote(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def is_official(model: str, request: Mapping[str, Any]) -> bool:
    """The official judge: an official model name (``OFFICIAL_MODELS``) sent exactly ``OFFICIAL_REQUEST``."""
    return model in OFFICIAL_MODELS and dict(request) == OFFICIAL_REQUEST


def failure_budget(max_failed_share: float, items: int) -> int:
    """How many of ``items`` judge calls may fail (after every retry) before no figure may be given."""
    return math.floor(max_failed_share * items + 1e-9)


def _number(env: Mapping[str, str], name: str, default: float, *, integer: bool, minimum: float, maximum: float) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value: float | None = None
    if raw.isascii() and "_" not in raw:  # int() and float() also take other scripts' digits and 1_000
        try:
            value = int(raw) if integer else float(raw) + 0.0  # + 0.0: -0 is 0
        except ValueError:
            value = None
    if value is None or not minimum <= value <= maximum:  # NaN fails both comparisons
        kind = "a whole number" if integer else "a number"
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise JudgeNotConfigured(
            f"{name}={shown!r} is not {kind} between {minimum:g} and {maximum:g}; set it like {name}={default}"
        )
    return value


def budget_shares(env: Mapping[str, str] | None = None) -> tuple[float, float]:
    """``VSCBENCH_JUDGE_MAX_FAILED_SHARE`` and ``VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE``, checked: the shares
    of items whose call may fail, and whose reply may hold no class, before no figure may be given. Verdicts
    read back from a file are held to the same budgets as a live judge."""
    env = os.environ if env is None else env
    return (
        _number(env, "VSCBENCH_JUDGE_MAX_FAILED_SHARE", 0.01, integer=False, minimum=0, maximum=1),
        _number(env, "VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE", 0.05, integer=False, minimum=0, maximum=1),
    )


def _temperature(env: Mapping[str, str]) -> float | None:
    raw = env.get("VSCBENCH_JUDGE_TEMPERATURE", "").strip()
    if raw.lower() == OMIT:
        return None
    try:
        return float(_number(env, "VSCBENCH_JUDGE_TEMPERATURE", TEMPERATURE, integer=False, minimum=0, maximum=2))
    except JudgeNotConfigured:
        raise JudgeNotConfigured(
            f"VSCBENCH_JUDGE_TEMPERATURE={raw!r} is neither a number between 0 and 2 nor {OMIT!r}: leave it unset "
            f"for the official {TEMPERATURE}, or set VSCBENCH_JUDGE_TEMPERATURE={OMIT} to send none (a reasoning "
            "model takes only its default)"
        ) from None


def _max_tokens(env: Mapping[str, str]) -> tuple[int | None, str]:
    """The token limit (``None``: none sent) and the field it is sent as."""
    limit = None
    if env.get("VSCBENCH_JUDGE_MAX_TOKENS", "").strip():  # the default is only the example a message gives
        limit = _number(env, "VSCBENCH_JUDGE_MAX_TOKENS", 4096, integer=True, minimum=1, maximum=1_000_000)
    param = env.get("VSCBENCH_JUDGE_MAX_TOKENS_PARAM", "").strip()
    if param and param not in MAX_TOKENS_PARAMS:
        raise JudgeNotConfigured(
            f"VSCBENCH_JUDGE_MAX_TOKENS_PARAM={param!r} is not one of {', '.join(MAX_TOKENS_PARAMS)}: reasoning "
            "models take max_completion_tokens, older chat models max_tokens"
        )
    if param and limit is None:
        raise JudgeNotConfigured(
            "VSCBENCH_JUDGE_MAX_TOKENS_PARAM says how VSCBENCH_JUDGE_MAX_TOKENS is sent, but no limit is set: set "
            "VSCBENCH_JUDGE_MAX_TOKENS too (like VSCBENCH_JUDGE_MAX_TOKENS=4096), or unset the parameter"
        )
    return limit, param or MAX_TOKENS_PARAMS[0]


def _reasoning_effort(env: Mapping[str, str]) -> str | None:
    raw = env.get("VSCBENCH_JUDGE_REASONING_EFFORT", "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.replace("_", "").isalpha() or len(raw) > 20:
        raise JudgeNotConfigured(
            f"VSCBENCH_JUDGE_REASONING_EFFORT={raw!r} is not an effort level: set it like "
            "VSCBENCH_JUDGE_REASONING_EFFORT=low (what the model takes: minimal, low, medium, high), or unset it"
        )
    return raw


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


def _check_url(url: str, setting: str) -> None:
    """Refuse a URL no client can call, naming ``setting``; the URL itself is not quoted (it may hold a
    password or a token)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError as err:
        raise JudgeNotConfigured(
            f"{setting} is not a valid URL ({err}): give one like http://localhost:8000/v1"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise JudgeNotConfigured(f"{setting} must start with http:// or https://, like http://localhost:8000/v1")
    if not parts.hostname:
        raise JudgeNotConfigured(f"{setting} names no host: give one like http://localhost:8000/v1")


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
        given = env.get("OPENAI_API_URL", "").strip() or DEFAULT_OPENAI_URL
        _check_url(given, "OPENAI_API_URL")
        url = chat_url(given)
        if is_loopback(url) and not env.get("OPENAI_API_KEY", "").strip():
            api_key = LOCAL_PLACEHOLDER_KEY  # a keyless local server (vllm serve): no real key needed
        else:
            api_key = _require(env, "OPENAI_API_KEY", "the judge's API key")
    elif api_type == "azure":
        api_key = _require(env, "AZURE_API_KEY", "the Azure OpenAI key")
        endpoint = _require(env, "AZURE_ENDPOINT", "the Azure resource or deployment URL")
        _check_url(endpoint, "AZURE_ENDPOINT")
        version = env.get("AZURE_API_VERSION", "").strip() or env.get("API_VERSION", "").strip()
        url = _azure_url(endpoint, model, version or DEFAULT_AZURE_API_VERSION)
    else:
        raise JudgeNotConfigured(f"API_TYPE={api_type!r} is not supported: set API_TYPE to 'openai' or 'azure'")
    cache = env.get("VSCBENCH_JUDGE_CACHE", "").strip()
    max_tokens, max_tokens_param = _max_tokens(env)
    shares = budget_shares(env)
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
        max_failed_share=shares[0],
        max_unparseable_share=shares[1],
        cache_path=Path(cache).expanduser() if cache else datadir.resolve() / CACHE_FILE,
        preflight=env.get("VSCBENCH_JUDGE_PREFLIGHT", "1").strip().lower() not in ("0", "false", "no", "off"),
        temperature=_temperature(env),
        max_tokens=max_tokens,
        max_tokens_param=max_tokens_param,
        reasoning_effort=_reasoning_effort(env),
    )
