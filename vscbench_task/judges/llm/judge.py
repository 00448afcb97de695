"""The official LLM judge as a ``Judge``: cached, concurrent, honest about failures.

Each input is judged on its query and its response as the official judges see it (an empty response
already replaced by the refusal substitute, ``scoring.score.judge_input``). Inputs with the same query
and response share one call. Replies already in the cache cost nothing; the rest are sent
``concurrency`` at a time, each committed to the cache as it arrives.

A judge that stops working is never taken for a verdict: a failure every call would meet (a rejected
key, an exhausted quota, no such model) stops the run at once, and so does a failure count past the
settings' budget (``VSCBENCH_JUDGE_MAX_FAILED_SHARE`` of the items, 1% by default): ``JudgeFailed`` names
the cause, the replies received until then stay cached, and no figure is computed from the rest. Within
the budget a failed call reads as *not recognised*, as officially, and is counted.

One reply gives two readings (``llm``: official; ``llm_strict``: not official, see ``prompt``), so a
judgement carries both verdicts and both classes, and its details keep the raw reply, whether the call
failed or came from the cache, and the error (fields ``llm_judge_*``, what ``vscbench rescore`` writes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx
from tqdm import tqdm

from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.base import Judged, JudgeInput, Judgement, is_recognised
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.cache import JudgeCache, cache_key
from vscbench_task.judges.llm.client import CallResult, complete, hint, open_http, require_working, run_sync
from vscbench_task.judges.llm.settings import JudgeSettings, failure_budget

log = logging.getLogger(__name__)


class JudgeFailed(VSCBenchError):
    """The judge stopped working during a run; the message names the cause and what to fix."""


def judgement(item: JudgeInput, result: CallResult, *, cached: bool) -> Judgement:
    """Both readings of one call's reply; a failed call has no class and reads as not recognised."""
    official = None if result.failed else prompt.official_class(result.reply)
    strict = None if result.failed else prompt.strict_class(result.reply, item.response)
    details: dict[str, Any] = {
        "llm_judge_reply": result.reply,
        "llm_judge_class": official,
        "llm_judge_strict_class": strict,
        "llm_judge_recognised": is_recognised(official),
        "llm_judge_strict_recognised": is_recognised(strict),
        "llm_judge_failed": result.failed,
        "llm_judge_error": result.error,
        "llm_judge_cached": cached,
    }
    return Judgement(
        key=item.key,
        recognised={"llm": is_recognised(official), "llm_strict": is_recognised(strict)},
        classes={"llm": official, "llm_strict": strict},
        failed=result.failed,
        details=details,
    )


def _cache_key(settings: JudgeSettings, item: JudgeInput) -> str:
    return cache_key(settings.model, settings.endpoint, prompt.PROMPT_VERSION, item.query, item.response)


async def _call(
    http: httpx.AsyncClient, settings: JudgeSettings, store: JudgeCache, key: str, item: JudgeInput
) -> CallResult:
    """One judge call (with its retries); a success is committed to the cache the moment it arrives."""
    result = await complete(http, settings, prompt.render(item.query, item.response))
    if not result.failed:
        official = prompt.official_class(result.reply)
        store.put(
            key,
            model=settings.model,
            endpoint=settings.endpoint,
            prompt_version=prompt.PROMPT_VERSION,
            reply=result.reply,
            official_class=official,
            strict_class=prompt.strict_class(result.reply, item.response),
            recognised=is_recognised(official),
        )
    return result


async def _call_all(
    settings: JudgeSettings, inputs: dict[str, JudgeInput], store: JudgeCache, progress: bool, budget: int
) -> dict[str, CallResult]:
    """Judge every input under its cache key, ``concurrency`` calls at a time; store each success the
    moment it arrives. Stops every call still pending and raises ``JudgeFailed`` at a fatal failure or at
    the first failure past ``budget``."""
    slots = asyncio.Semaphore(settings.concurrency)
    results: dict[str, CallResult] = {}
    stopped: list[str] = []
    with tqdm(total=len(inputs), desc="VSCBench LLM judge", unit="call", disable=not progress) as bar:
        async with open_http(settings) as http:

            async def one(key: str, item: JudgeInput) -> None:
                async with slots:
                    result = await _call(http, settings, store, key, item)
                results[key] = result
                bar.update()
                failures = sum(r.failed for r in results.values())
                if result.failed and not stopped and (result.fatal or failures > budget):
                    stopped.append(_stop_reason(settings, result, failures, budget, len(results)))
                    for task in tasks:
                        task.cancel()

            tasks = [asyncio.ensure_future(one(key, item)) for key, item in inputs.items()]
            await asyncio.gather(*tasks, return_exceptions=True)
    if stopped:
        raise JudgeFailed(stopped[0])
    return results


def _stop_reason(settings: JudgeSettings, result: CallResult, failures: int, budget: int, done: int) -> str:
    error = result.error or "failed"
    if result.fatal:
        cause = f"a call failed in a way every call would ({error})"
    else:
        share = f"VSCBENCH_JUDGE_MAX_FAILED_SHARE={settings.max_failed_share:g}"
        cause = f"{failures} calls failed after every retry, more than the {budget} that {share} allows; last: {error}"
    return (
        f"the VSCBench LLM judge at {settings.endpoint} (model {settings.model}) stopped: {cause}. "
        f"{hint(settings, error)}. Nothing was scored; the {done - failures} replies received in this run are "
        "cached, so running again once the judge works pays only for the rest."
    )


class LLMJudge:
    """The official LLM judge with the given settings (``settings.from_env``)."""

    name = "llm"
    readings: tuple[str, ...] = ("llm", "llm_strict")

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings

    def judge(self, inputs: Sequence[JudgeInput], *, progress: bool = True) -> Judged:
        """Cache first, then the endpoint (after its preflight check, so a fully cached rerun makes no
        call at all). Failed calls within the budget are returned and counted; a judge that fails its
        preflight raises ``JudgeNotConfigured``, one that stops working ``JudgeFailed``."""
        settings = self.settings
        keys = {item.key: _cache_key(settings, item) for item in inputs}
        budget = failure_budget(settings.max_failed_share, len(inputs))
        with JudgeCache(settings.cache_path) as store:
            replies = store.replies(keys.values())
            missing = {keys[item.key]: item for item in inputs if keys[item.key] not in replies}
            if missing:
                require_working(settings)
            called = run_sync(_call_all(settings, missing, store, progress, budget)) if missing else {}
        judgements = {}
        for item in inputs:
            key = keys[item.key]
            if key in replies:
                judgements[item.key] = judgement(item, CallResult(replies[key], False, None), cached=True)
            else:
                judgements[item.key] = judgement(item, called[key], cached=False)
        failed = [j for j in judgements.values() if j.failed]
        if failed:
            log.warning(
                "VSCBench LLM judge: %d of %d items failed (after up to %d retries) and count as not recognised "
                "(official reading); first error: %s",
                len(failed),
                len(judgements),
                settings.max_retries,
                failed[0].details["llm_judge_error"],
            )
        stats = {
            "api_calls": len(missing),
            "cached_items": sum(j.details["llm_judge_cached"] for j in judgements.values()),
            "failed_calls": len(failed),
        }
        public = {"judge_settings": settings.public(), "prompt_version": prompt.PROMPT_VERSION}
        return Judged(self.name, judgements, stats, public)


class ItemJudge:
    """The official LLM judge one item at a time, for hosts whose scorers judge each sample as it is
    done (inspect_ai): the same cache, calls and retries as ``LLMJudge``, ``concurrency`` calls in flight.

    A failure every call would meet (a rejected key, an exhausted quota) raises ``JudgeFailed``; other
    failed calls are returned as failed judgements, for the host to count against the budget
    (``settings.failure_budget``). The connection pool is opened in the event loop that first uses it.
    """

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        self._store = JudgeCache(settings.cache_path)
        self._http: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    async def judge(self, item: JudgeInput) -> Judgement:
        """The judgement of one item: from the cache, else from one call (stored if it succeeds)."""
        key = _cache_key(self.settings, item)
        cached = self._store.replies([key])
        if key in cached:
            return judgement(item, CallResult(cached[key], False, None), cached=True)
        if self._http is None or self._slots is None:
            self._http, self._slots = open_http(self.settings), asyncio.Semaphore(self.settings.concurrency)
        async with self._slots:
            result = await _call(self._http, self.settings, self._store, key, item)
        if result.failed and result.fatal:
            raise JudgeFailed(_stop_reason(self.settings, result, 1, 0, 1))
        return judgement(item, result, cached=False)
