"""A small OpenAI-compatible chat-completions client: one call per judge prompt, retried sensibly.

asyncio + httpx, so one thread keeps ``concurrency`` calls in flight (the benchmark in
docs/benchmarks/judge.md measures it). A call is retried on HTTP 429 and 5xx, timeouts, connection
errors and malformed 200 replies (non-JSON body, no ``choices``), with exponential backoff and jitter,
waiting at least what a ``Retry-After`` header asks. Other HTTP errors (400, 401, 404, ...) and a 429
saying ``insufficient_quota`` (an exhausted account, not a rate limit) will not get better by retrying
and fail at once. A call that still fails returns ``failed=True`` with an empty reply: the official
pipeline reads that as *not recognised*, and the caller counts it. ``complete`` never raises for what
a server sends: any exception of an attempt (a body that is not what its ``Content-Encoding`` says, JSON
nested too deep to parse, an URL httpx refuses, anything) is that attempt's failure, retried and in
the end counted inside the caller's budget, never a traceback after every other item was paid for.

A 200 reply whose message content is ``null`` with a ``finish_reason`` (a refusal or a content filter)
is the judge's final answer, not a transport fault: it is returned as an empty, successful reply that
reads as no class; the judge counts such replies against their own budget and never caches them.
The reply is returned exactly as received: redaction is for what is shown about a call (its error), not
for what is parsed (``settings``).

Size. Compression is not asked for (``Accept-Encoding: identity``); a server that compresses anyway with
gzip or deflate is inflated at most to ``MAX_REPLY_BYTES`` (a 16 KB bomb cannot take a gigabyte), and
any other encoding is a failed attempt. Each attempt is bounded as a whole by ``timeout`` (httpx's own
timeout bounds each connect/read step, so a server trickling bytes could otherwise hold a call far longer).

Payload as in the official code by default: the judge model, one user message, no system prompt, text
only, temperature 0.01, nothing else; a successor's request settings (``settings.request()``) replace the
temperature and add what they set, nothing more. A reply's message content is the reply (a reasoning
model's reasoning text, sent beside it, is never read or kept), and the model name the server says it
served and its ``system_fingerprint`` are returned with it (``gpt-4o-mini`` is an alias that can move).

A 400 naming a parameter or a value the model does not support (OpenAI's ``unsupported_parameter`` and
``unsupported_value``, as reasoning models answer ``temperature`` 0.01 or ``max_tokens``) is fatal: every
call would meet it. ``hint`` then names the ``VSCBENCH_JUDGE_*`` setting to change and the value to try;
nothing is retried with other settings behind the user's back.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
import zlib
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from vscbench_task.judges.llm.settings import JudgeNotConfigured, JudgeSettings, from_env

RETRY_AFTER_CAP = 300.0  # seconds; a longer Retry-After is a server bug, not advice
PROBE_PROMPT = "Reply with the single word OK."
_BODY_SHOWN = 200  # characters of an error body kept in the error message
_ORIGIN_CHARS = 200  # characters kept of a reply's served model name and fingerprint
QUOTA_EXHAUSTED = "insufficient_quota"  # OpenAI's error type for a 429 that no wait will fix
NO_CLASS = "no class"  # what ``hint`` is asked about when replies arrive but hold no class


# A judge reply is a few dozen tokens; anything far larger is a fault, never stored or parsed.
MAX_REPLY_BYTES = 1024 * 1024  # of the HTTP body
MAX_REPLY_CHARS = 32 * 1024  # of the message content
# Errors no retry and no other item will fix: the run stops at once instead of failing call by call.
FATAL_STATUS = (401, 403, 404)


@dataclass(frozen=True)
class CallResult:
    """What one judge call produced. ``reply`` is "" when the call failed; ``fatal`` marks a failure that
    every other call would meet too (a rejected key, an exhausted quota, no such endpoint or model)."""

    reply: str
    failed: bool
    error: str | None
    fatal: bool = False
    served_model: str | None = None  # the model the server says answered
    system_fingerprint: str | None = None


# Compressed bodies are inflated here, bounded, not by httpx (which inflates a whole chunk at once).
INFLATED = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class Oversized(ValueError):
    """A reply body over ``MAX_REPLY_BYTES``, as received or once inflated: never read or retried."""


def payload(settings: JudgeSettings, prompt: str) -> dict[str, Any]:
    """The request body of one judge call: the model, the one user message, then the request settings."""
    return {"model": settings.model, "messages": [{"role": "user", "content": prompt}], **settings.request()}


def _origin(body: Any, field: str) -> str | None:
    """A reply's own account of where it came from (``model``, ``system_fingerprint``): short text or None."""
    value = body.get(field) if isinstance(body, dict) else None
    return value[:_ORIGIN_CHARS] if isinstance(value, str) else None


UNSUPPORTED = ("unsupported_parameter", "unsupported_value")  # OpenAI's codes for a request the model refuses


def unsupported(body: bytes) -> tuple[str, str] | None:
    """``(code, parameter)`` of a 400 that names a request field the model does not take, else None."""
    try:
        error = json.loads(body).get("error")
        code, param = error.get("code"), error.get("param")
    except (ValueError, AttributeError, RecursionError):
        return None
    if code in UNSUPPORTED and isinstance(param, str) and param.isidentifier():
        return code, param
    return None


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), if any."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def backoff_delay(settings: JudgeSettings, attempt: int, server_asks: float | None) -> float:
    """Wait before retry number ``attempt + 1``: exponential with jitter, and never less than Retry-After."""
    delay = min(settings.backoff * 2**attempt, settings.backoff_max) * random.uniform(0.5, 1.0)
    return max(delay, server_asks or 0.0)


def _content(body: Any) -> str:
    """The reply text; "" for a final reply without content (refusal, content filter)."""
    choice = body["choices"][0]
    content = choice["message"]["content"]
    if content is None and isinstance(choice.get("finish_reason"), str):
        return ""
    if not isinstance(content, str):
        raise TypeError(f"message content is {type(content).__name__}, not text")
    if len(content) > MAX_REPLY_CHARS:
        raise ValueError(
            f"message content of {len(content):,} characters, over the {MAX_REPLY_CHARS:,} a reply may have"
        )
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("message content is not valid Unicode text (it holds a lone surrogate)") from None
    return content


async def _post(http: httpx.AsyncClient, settings: JudgeSettings, prompt: str) -> tuple[int, httpx.Headers, bytes]:
    """Status, headers and raw body of one POST; the body is read at most to ``MAX_REPLY_BYTES`` + 1 bytes
    as received (``aiter_raw``: not inflated by httpx)."""
    async with http.stream("POST", settings.url, json=payload(settings, prompt)) as response:
        body = b""
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > MAX_REPLY_BYTES:
                break
        return response.status_code, response.headers, body


def inflated(raw: bytes, content_encoding: str) -> bytes:
    """The body as sent before compression, inflated to at most ``MAX_REPLY_BYTES`` + 1 bytes; raises
    ``Oversized`` past that and ``ValueError`` for a body that is not what its encoding says or an
    encoding that was not asked for."""
    if len(raw) > MAX_REPLY_BYTES:
        raise Oversized(f"reply over {MAX_REPLY_BYTES:,} bytes, not read")
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):  # listed in the order they were applied
        if coding == "identity":
            continue
        if coding not in INFLATED:
            raise ValueError(f"reply compressed as {coding!r}, which was not asked for (Accept-Encoding: identity)")
        inflater = zlib.decompressobj(INFLATED[coding])
        try:
            raw = inflater.decompress(raw, MAX_REPLY_BYTES + 1)
        except zlib.error as err:
            raise ValueError(f"a body labelled {coding} that is not ({err})") from None
        if len(raw) > MAX_REPLY_BYTES:
            raise Oversized(f"reply inflates to over {MAX_REPLY_BYTES:,} bytes ({coding}), not read")
    return raw


def open_http(settings: JudgeSettings) -> httpx.AsyncClient:
    """One connection pool for a judge run, sized to the concurrency; compression not asked for."""
    return httpx.AsyncClient(
        headers={**settings.headers(), "Accept-Encoding": "identity"},
        timeout=httpx.Timeout(settings.timeout),
        limits=httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency),
    )


@dataclass(frozen=True)
class _Retry:
    """An attempt that failed in a way another attempt may not: why, and how long the server asks to wait."""

    error: str
    server_asks: float | None = None


async def _attempt(http: httpx.AsyncClient, settings: JudgeSettings, prompt: str) -> CallResult | _Retry:
    """One attempt: its final result, or why to try again."""
    status, headers, raw = await _post(http, settings, prompt)
    try:
        body = inflated(raw, headers.get("content-encoding", ""))
    except Oversized as err:
        return CallResult("", failed=True, error=f"HTTP {status}: {err}")
    except ValueError as err:
        return _Retry(f"malformed reply ({settings.redact(str(err))[:_BODY_SHOWN]})")
    if status == 200:
        try:
            parsed = json.loads(body)
            content = _content(parsed)
        except (ValueError, KeyError, IndexError, TypeError, RecursionError) as err:
            return _Retry(f"malformed reply ({type(err).__name__}: {settings.redact(str(err))[:_BODY_SHOWN]})")
        served, fingerprint = _origin(parsed, "model"), _origin(parsed, "system_fingerprint")
        return CallResult(content, failed=False, error=None, served_model=served, system_fingerprint=fingerprint)
    text = settings.redact(body.decode("utf-8", "replace"))
    shown = text[:_BODY_SHOWN]  # redact first: a cut could split the key
    refused = unsupported(body) if status == 400 else None
    if refused is not None:  # every call would meet it: fatal, and ``hint`` names the setting
        return CallResult("", failed=True, error=f"HTTP 400 {refused[0]} {refused[1]}: {shown}", fatal=True)
    if status == 429 and QUOTA_EXHAUSTED in text:
        return CallResult("", failed=True, error=f"HTTP 429 {QUOTA_EXHAUSTED}: {shown}", fatal=True)
    error = f"HTTP {status}: {shown}"
    if status != 429 and status < 500:
        return CallResult("", failed=True, error=error, fatal=status in FATAL_STATUS)
    return _Retry(error, retry_after(headers))


async def complete(http: httpx.AsyncClient, settings: JudgeSettings, prompt: str) -> CallResult:
    """One judge call with retries; never raises for anything a server or the network does (see the
    module). The reply is returned as received; errors have the settings' secrets blanked out."""
    outcome: CallResult | _Retry = _Retry("not attempted")
    for attempt in range(settings.max_retries + 1):
        try:
            outcome = await asyncio.wait_for(_attempt(http, settings, prompt), settings.timeout)
        except (httpx.TimeoutException, TimeoutError):
            outcome = _Retry(f"timed out after {settings.timeout:g} s")
        except httpx.TransportError as err:
            outcome = _Retry(f"connection error ({type(err).__name__}: {settings.redact(str(err))})")
        except Exception as err:  # anything else one attempt can raise is that attempt's failure
            outcome = _Retry(f"{type(err).__name__}: {settings.redact(str(err))[:_BODY_SHOWN]}")
        if isinstance(outcome, CallResult):
            return outcome
        if attempt < settings.max_retries:
            await asyncio.sleep(backoff_delay(settings, attempt, outcome.server_asks))
    return CallResult("", failed=True, error=outcome.error)


def run_sync(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion from sync code, also when the caller already runs an event loop
    (a notebook): then it runs on a fresh loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _probe(settings: JudgeSettings) -> CallResult:
    async with open_http(settings) as http:
        return await complete(http, settings, PROBE_PROMPT)


@cache
def _probe_problem(settings: JudgeSettings) -> str | None:
    """Why one small real call fails, or None; memoised so lmms-eval's load retries do not probe again."""
    result = run_sync(_probe(settings))
    quota_exhausted = result.error is not None and result.error.startswith(f"HTTP 429 {QUOTA_EXHAUSTED}")
    if not result.failed or result.error is None or (result.error.startswith("HTTP 429") and not quota_exhausted):
        return None  # a rate limit proves the endpoint and the key work
    return (
        f"the VSCBench LLM judge failed its preflight call to {settings.endpoint} (model {settings.model}): "
        f"{result.error}. {hint(settings, result.error)} (set VSCBENCH_JUDGE_PREFLIGHT=0 to skip this check)."
    )


def hint(settings: JudgeSettings, error: str) -> str:
    """What to fix for a failed call's error, naming the setting."""
    where = "AZURE_ENDPOINT" if settings.api_type == "azure" else "OPENAI_API_URL"
    key = "AZURE_API_KEY" if settings.api_type == "azure" else "OPENAI_API_KEY"
    if error == NO_CLASS:
        model = "AZURE_ENDPOINT's deployment" if settings.api_type == "azure" else "MODEL_VERSION"
        return (
            "The endpoint answers, but not with a class: check what it returns (a gateway's error text, empty "
            f"or refused replies) and that {model} names a model that follows the judge prompt"
        )
    if error.startswith(tuple(f"HTTP 400 {code} " for code in UNSUPPORTED)):
        code, param = error.split(":", 1)[0].split()[2:4]
        return unsupported_hint(settings, code, param)
    if error.startswith(f"HTTP 429 {QUOTA_EXHAUSTED}"):
        return f"The account behind {key} has no quota left ({QUOTA_EXHAUSTED}): check its billing, or use another key"
    if error.startswith(("HTTP 401", "HTTP 403")):
        return f"The endpoint rejected the API key: check {key}"
    if error.startswith("HTTP 404"):
        return f"No such endpoint or model: check {where} and the model name (MODEL_VERSION)"
    if error.startswith("HTTP 429"):
        return "The endpoint keeps rate-limiting: lower VSCBENCH_JUDGE_CONCURRENCY or wait for the limit to reset"
    return f"The judge endpoint is unreachable or failing (or answers in a form it should not): check {where}"


def unsupported_hint(settings: JudgeSettings, code: str, param: str) -> str:
    """The ``VSCBENCH_JUDGE_*`` setting to change, and the value to try, for a request field the model refuses."""
    model = f"The model {settings.model} does not take {param!r}"
    value = " with this value" if code == "unsupported_value" else ""
    if param == "temperature":
        return (
            f"{model}{value}: set VSCBENCH_JUDGE_TEMPERATURE=omit to send none (its default applies; reasoning models "
            "take no other), and validate the judge before using its figures: it is not the official judge"
        )
    if param in ("max_tokens", "max_completion_tokens"):
        other = "max_completion_tokens" if param == "max_tokens" else "max_tokens"
        return f"{model}{value}: set VSCBENCH_JUDGE_MAX_TOKENS_PARAM={other} (or unset VSCBENCH_JUDGE_MAX_TOKENS)"
    if param == "reasoning_effort":
        if code == "unsupported_value":
            return f"{model}{value}: set VSCBENCH_JUDGE_REASONING_EFFORT to a level it takes (low, medium, high)"
        return f"{model}: unset VSCBENCH_JUDGE_REASONING_EFFORT"
    return f"{model}{value}; the request's fields are {sorted(settings.request())}: change the VSCBENCH_JUDGE_* setting"


def require_working(settings: JudgeSettings) -> None:
    """Unless preflight is disabled, make one small real call (once per process and settings) and raise
    ``JudgeNotConfigured`` naming what to fix if it fails."""
    if settings.preflight and (problem := _probe_problem(settings)):
        raise JudgeNotConfigured(problem)


def preflight(env: dict[str, str] | None = None) -> JudgeSettings:
    """Settings from the environment, proven to work; judge tasks run this at load, before any model."""
    settings = from_env(env)
    require_working(settings)
    return settings
