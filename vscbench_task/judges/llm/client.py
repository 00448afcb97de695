"""A small OpenAI-compatible chat-completions client: one call per judge prompt, retried sensibly.

asyncio + httpx, so one thread keeps ``concurrency`` calls in flight (the benchmark in
docs/benchmarks/judge.md measures it). A call is retried on HTTP 429 and 5xx, timeouts, connection
errors and malformed 200 replies (non-JSON body, no ``choices``), with exponential backoff and jitter,
waiting at least what a ``Retry-After`` header asks. Other HTTP errors (400, 401, 404, ...) and a 429
saying ``insufficient_quota`` (an exhausted account, not a rate limit) will not get better by retrying
and fail at once. A call that still fails returns ``failed=True`` with an empty reply: the official
pipeline reads that as *not recognised*, and the caller counts it.

A 200 reply whose message content is ``null`` with a ``finish_reason`` (a refusal or a content filter)
is the judge's final answer, not a transport fault: it is returned as an empty, successful reply, so it
is cached (not paid again on every rerun) and reads as no class (unparseable), not as a failed call.
Each attempt is bounded as a whole by ``timeout`` (httpx's own timeout bounds each connect/read step, so
a server trickling bytes could otherwise hold a call far longer).

Payload as in the official code: the judge model, one user message, no system prompt, text only,
temperature 0.01, nothing else.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from vscbench_task.judges.llm.settings import TEMPERATURE, JudgeNotConfigured, JudgeSettings, from_env

RETRY_AFTER_CAP = 300.0  # seconds; a longer Retry-After is a server bug, not advice
PROBE_PROMPT = "Reply with the single word OK."
_BODY_SHOWN = 200  # characters of an error body kept in the error message
QUOTA_EXHAUSTED = "insufficient_quota"  # OpenAI's error type for a 429 that no wait will fix


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


def payload(settings: JudgeSettings, prompt: str) -> dict[str, Any]:
    """The request body of one judge call."""
    return {"model": settings.model, "messages": [{"role": "user", "content": prompt}], "temperature": TEMPERATURE}


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
    """Status, headers and body of one POST; the body is read at most to ``MAX_REPLY_BYTES`` + 1."""
    async with http.stream("POST", settings.url, json=payload(settings, prompt)) as response:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_REPLY_BYTES:
                break
        return response.status_code, response.headers, body


def open_http(settings: JudgeSettings) -> httpx.AsyncClient:
    """One connection pool for a judge run, sized to the concurrency."""
    return httpx.AsyncClient(
        headers=settings.headers(),
        timeout=httpx.Timeout(settings.timeout),
        limits=httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency),
    )


async def complete(http: httpx.AsyncClient, settings: JudgeSettings, prompt: str) -> CallResult:
    """One judge call with retries; never raises for HTTP or network trouble.

    The reply's text has the settings' secrets blanked out (a server echoing the key must not get it
    into the cache or a results file).
    """
    error = "not attempted"
    for attempt in range(settings.max_retries + 1):
        server_asks = None
        try:
            status, headers, raw = await asyncio.wait_for(_post(http, settings, prompt), settings.timeout)
        except (httpx.TimeoutException, TimeoutError):
            error = f"timed out after {settings.timeout:g} s"
        except httpx.TransportError as err:
            error = f"connection error ({type(err).__name__}: {settings.redact(str(err))})"
        else:
            if len(raw) > MAX_REPLY_BYTES:
                return CallResult(
                    "", failed=True, error=f"HTTP {status}: reply over {MAX_REPLY_BYTES:,} bytes, not read"
                )
            if status == 200:
                try:
                    return CallResult(settings.redact(_content(json.loads(raw))), failed=False, error=None)
                except (ValueError, KeyError, IndexError, TypeError) as err:
                    error = f"malformed reply ({type(err).__name__}: {settings.redact(str(err))[:_BODY_SHOWN]})"
            else:
                text = settings.redact(raw.decode("utf-8", "replace"))
                body = text[:_BODY_SHOWN]  # redact first: a cut could split the key
                if status == 429 and QUOTA_EXHAUSTED in text:
                    return CallResult("", failed=True, error=f"HTTP 429 {QUOTA_EXHAUSTED}: {body}", fatal=True)
                error = f"HTTP {status}: {body}"
                if status != 429 and status < 500:
                    return CallResult("", failed=True, error=error, fatal=status in FATAL_STATUS)
                server_asks = retry_after(headers)
        if attempt < settings.max_retries:
            await asyncio.sleep(backoff_delay(settings, attempt, server_asks))
    return CallResult("", failed=True, error=error)


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
    if error.startswith(f"HTTP 429 {QUOTA_EXHAUSTED}"):
        return f"The account behind {key} has no quota left ({QUOTA_EXHAUSTED}): check its billing, or use another key"
    if error.startswith(("HTTP 401", "HTTP 403")):
        return f"The endpoint rejected the API key: check {key}"
    if error.startswith("HTTP 404"):
        return f"No such endpoint or model: check {where} and the model name (MODEL_VERSION)"
    if error.startswith("HTTP 429"):
        return "The endpoint keeps rate-limiting: lower VSCBENCH_JUDGE_CONCURRENCY or wait for the limit to reset"
    return f"The judge endpoint is unreachable or failing (or answers in a form it should not): check {where}"


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
