"""The official LLM judge as a ``Judge``: cached, concurrent, honest about failures.

Each input is judged on its query and its response as the official judges see it (an empty response
already replaced by the refusal substitute, ``scoring.score.judge_input``). Inputs with the same query
and response share one call. Replies already in the cache cost nothing; the rest are sent
``concurrency`` at a time, each committed to the cache as it arrives.

A judge that stops working is never taken for a verdict: a failure every call would meet (a rejected
key, an exhausted quota, no such model) stops the run at once, and so does a failure count past the
settings' budget (``VSCBENCH_JUDGE_MAX_FAILED_SHARE`` of the items, 1% by default). A judge that answers
without judging (a gateway's "Error: upstream model overloaded" with status 200, ``null`` or empty
content, a model that will not classify) has a budget of its own: replies in which the official reading
finds no class past ``VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE`` of the items (5% by default) stop the run
the same way. ``JudgeFailed`` names the cause, the verdicts received until then stay cached, and no
figure is computed from the rest. Within the budgets a failed call or a reply without a class reads as
*not recognised*, as officially, and is counted.

What the cache holds is verdicts only. A reply is stored when the official reading finds a class in it
and it holds no secret (a server echoing the key back) and no ``***`` (where earlier versions blanked a
secret, sometimes out of the class itself); anything else is asked again on the next run. Rows that an
earlier version stored without a class or with that marker are treated as misses when read, so a cache
poisoned by a failing endpoint or by redaction heals on the next run. A cache that cannot be written (held
by another process past the wait, a read-only folder) does not cost this run its verdicts: they are kept,
and the problem is reported once, naming the file.

One reply gives two readings (``llm``: official; ``llm_strict``: not official, see ``prompt``), so a
judgement carries both verdicts and both classes, and its details keep the raw reply (secrets blanked:
the details are what audit files are written from), whether the call failed or came from the cache, and
the error (fields ``llm_judge_*``, what ``vscbench rescore`` writes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tqdm import tqdm

from vscbench_task.errors import VSCBenchError
from vscbench_task.judges.base import Judged, JudgeInput, Judgement, is_recognised
from vscbench_task.judges.identity import judge_identity
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.llm.cache import JudgeCache, cache_key
from vscbench_task.judges.llm.client import NO_CLASS, CallResult, complete, hint, open_http, require_working, run_sync
from vscbench_task.judges.llm.settings import OFFICIAL_REQUEST, REDACTED, JudgeSettings, failure_budget

log = logging.getLogger(__name__)


class JudgeFailed(VSCBenchError):
    """The judge stopped working during a run; the message names the cause and what to fix."""


def judgement(item: JudgeInput, result: CallResult, *, cached: bool, settings: JudgeSettings) -> Judgement:
    """Both readings of one call's reply, read from the reply as received; a failed call has no class and
    reads as not recognised. The details carry the reply with the settings' secrets blanked out."""
    return prompt.reply_judgement(
        item.key,
        item.response,
        result.reply,
        failed=result.failed,
        error=result.error,
        shown=settings.redact(result.reply),
        llm_judge_cached=cached,
        llm_judge_served_model=None if result.served_model is None else settings.redact(result.served_model),
        llm_judge_system_fingerprint=(
            None if result.system_fingerprint is None else settings.redact(result.system_fingerprint)
        ),
    )


def is_verdict(settings: JudgeSettings, reply: str) -> bool:
    """Whether a reply may be cached and served from the cache: the official reading finds a class in it,
    and it holds no secret and no ``***`` (an earlier version's redaction marker)."""
    return prompt.official_class(reply) is not None and REDACTED not in reply and not settings.holds_secret(reply)


def unparseable(result: CallResult) -> bool:
    """A reply received in which the official reading finds no class."""
    return not result.failed and prompt.official_class(result.reply) is None


def _cache_key(settings: JudgeSettings, item: JudgeInput) -> str:
    """The call's key: the official request keeps the key earlier versions wrote, any other is part of it."""
    request = settings.request()
    other = None if request == OFFICIAL_REQUEST else request
    return cache_key(settings.model, settings.endpoint, prompt.PROMPT_VERSION, item.query, item.response, other)


def _cached(settings: JudgeSettings, store: JudgeCache, keys: Iterable[str]) -> dict[str, CallResult]:
    """The cached replies of ``keys`` that are verdicts (``is_verdict``), as the calls that gave them (with
    the model that served each, where the row kept it): any other row is a miss."""
    replies = {key: reply for key, reply in store.replies(keys).items() if is_verdict(settings, reply)}
    served = store.served(replies) if replies else {}
    return {
        key: CallResult(reply, False, None, served_model=served[key][0], system_fingerprint=served[key][1])
        for key, reply in replies.items()
    }


async def _call(
    http: httpx.AsyncClient, settings: JudgeSettings, store: JudgeCache, key: str, item: JudgeInput
) -> CallResult:
    """One judge call (with its retries); a verdict is committed to the cache the moment it arrives."""
    result = await complete(http, settings, prompt.render(item.query, item.response))
    if not result.failed and is_verdict(settings, result.reply):
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
            served_model=result.served_model,
            system_fingerprint=result.system_fingerprint,
        )
    return result


@dataclass(frozen=True)
class Budgets:
    """How many items may fail, and how many replies may have no class, before no figure may be given."""

    failed: int
    unparseable: int

    @classmethod
    def of(cls, settings: JudgeSettings, items: int) -> Budgets:
        return cls(
            failure_budget(settings.max_failed_share, items), failure_budget(settings.max_unparseable_share, items)
        )


@dataclass
class Tally:
    """What a run's calls gave so far: counts against the budgets, and the last of each kind of trouble."""

    received: int = 0  # replies with a class
    failed: int = 0
    unparseable: int = 0
    fatal: CallResult | None = None
    last_failure: CallResult | None = None
    last_unparseable: CallResult | None = None

    def add(self, result: CallResult) -> None:
        if result.failed:
            self.failed += 1
            self.last_failure = result
            self.fatal = self.fatal or (result if result.fatal else None)
        elif unparseable(result):
            self.unparseable += 1
            self.last_unparseable = result
        else:
            self.received += 1

    def stop_reason(self, settings: JudgeSettings, budgets: Budgets) -> str | None:
        """Why a run with these results must stop (a fatal failure, a budget exceeded), or None."""
        if self.fatal is not None:
            error = self.fatal.error or "failed"
            cause = f"a call failed in a way every call would ({error})"
        elif self.failed > budgets.failed:
            error = (self.last_failure.error if self.last_failure else None) or "failed"
            share = f"VSCBENCH_JUDGE_MAX_FAILED_SHARE={settings.max_failed_share:g}"
            cause = (
                f"{self.failed} calls failed after every retry, more than the {budgets.failed} that {share} "
                f"allows; last: {error}"
            )
        elif self.unparseable > budgets.unparseable:
            error = NO_CLASS
            share = f"VSCBENCH_JUDGE_MAX_UNPARSEABLE_SHARE={settings.max_unparseable_share:g}"
            last = settings.redact(self.last_unparseable.reply if self.last_unparseable else "")
            cause = (
                f"{self.unparseable} replies had no class (official reading), more than the {budgets.unparseable} "
                f"that {share} allows; last reply: {last[:120]!r}"
            )
        else:
            return None
        return (
            f"the VSCBench LLM judge at {settings.endpoint} (model {settings.model}) stopped: {cause}. "
            f"{hint(settings, error)}. Nothing was scored; the {self.received} verdicts received in this run are "
            "cached, so running again once the judge works pays only for the rest."
        )


async def _call_all(
    settings: JudgeSettings, inputs: dict[str, JudgeInput], store: JudgeCache, progress: bool, budgets: Budgets
) -> dict[str, CallResult]:
    """Judge every input under its cache key, ``concurrency`` calls at a time; store each verdict the
    moment it arrives. Stops every call still pending and raises ``JudgeFailed`` at a fatal failure or at
    the first failure or reply without a class past its budget."""
    slots = asyncio.Semaphore(settings.concurrency)
    results: dict[str, CallResult] = {}
    tally = Tally()
    stopped: list[bool] = []
    with tqdm(total=len(inputs), desc="VSCBench LLM judge", unit="call", disable=not progress) as bar:
        async with open_http(settings) as http:

            async def one(key: str, item: JudgeInput) -> None:
                async with slots:
                    result = await _call(http, settings, store, key, item)
                results[key] = result
                tally.add(result)
                bar.update()
                if not stopped and tally.stop_reason(settings, budgets):
                    stopped.append(True)
                    for task in tasks:
                        task.cancel()

            tasks = [asyncio.ensure_future(one(key, item)) for key, item in inputs.items()]
            await asyncio.gather(*tasks, return_exceptions=True)
    if stopped:  # said with the final counts: calls that ended while the others were cancelled count too
        raise JudgeFailed(tally.stop_reason(settings, budgets) or "")
    return results


class LLMJudge:
    """The official LLM judge with the given settings (``settings.from_env``)."""

    name = "llm"
    readings: tuple[str, ...] = ("llm", "llm_strict")

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings

    @property
    def identity(self) -> dict[str, Any]:
        """What identifies this judge in results, reports and verdict files (``judges.identity``)."""
        return judge_identity(self.settings)

    def judge(self, inputs: Sequence[JudgeInput], *, progress: bool = True) -> Judged:
        """Cache first, then the endpoint (after its preflight check, so a fully cached rerun makes no
        call at all). Failed calls and replies without a class within their budgets are returned and
        counted; a judge that fails its preflight raises ``JudgeNotConfigured``, one that stops working
        (or stops judging) ``JudgeFailed``."""
        settings = self.settings
        keys = {item.key: _cache_key(settings, item) for item in inputs}
        budgets = Budgets.of(settings, len(inputs))
        with JudgeCache(settings.cache_path) as store:
            replies = _cached(settings, store, keys.values())
            missing = {keys[item.key]: item for item in inputs if keys[item.key] not in replies}
            if missing:
                require_working(settings)
            called = run_sync(_call_all(settings, missing, store, progress, budgets)) if missing else {}
            if store.unwritable:
                log.warning("VSCBench LLM judge: %s", store.unwritable)
        results = {item.key: replies.get(keys[item.key]) or called[keys[item.key]] for item in inputs}
        tally = Tally()
        for result in results.values():  # every item, also those sharing one call
            tally.add(result)
        if reason := tally.stop_reason(settings, budgets):
            raise JudgeFailed(reason)
        judgements = {
            item.key: judgement(item, results[item.key], cached=keys[item.key] in replies, settings=settings)
            for item in inputs
        }
        failed = [j for j in judgements.values() if j.failed]
        without_class = tally.unparseable
        if failed or without_class:
            first = failed[0].details["llm_judge_error"] if failed else None
            log.warning(
                "VSCBench LLM judge: of %d items, %d failed (after up to %d retries) and %d replies had no class "
                "(official reading); both count as not recognised (official reading)%s",
                len(judgements),
                len(failed),
                settings.max_retries,
                without_class,
                f"; first error: {first}" if first else "",
            )
        stats = {
            "api_calls": len(missing),
            "cached_items": sum(j.details["llm_judge_cached"] for j in judgements.values()),
            "failed_calls": len(failed),
            "unparseable": without_class,
        }
        served = {j.details["llm_judge_served_model"] for j in judgements.values()} - {None}
        public = {
            "judge_settings": settings.public(),
            "prompt_version": prompt.PROMPT_VERSION,
            "judge_identity": judge_identity(settings),
            "served_models": sorted(served),  # an alias can move: which models actually answered
        }
        return Judged(self.name, judgements, stats, public)

    def from_cache(self, inputs: Sequence[JudgeInput]) -> dict[str, Judgement]:
        """The judgements of the inputs whose verdict the cache holds, making no call at all (``vscbench
        verdicts export`` without ``--call``): key -> judgement, for those found only."""
        keys = {item.key: _cache_key(self.settings, item) for item in inputs}
        with JudgeCache(self.settings.cache_path) as store:
            replies = _cached(self.settings, store, keys.values())
        return {
            item.key: judgement(item, replies[keys[item.key]], cached=True, settings=self.settings)
            for item in inputs
            if keys[item.key] in replies
        }


class ItemJudge:
    """The official LLM judge one item at a time, for hosts whose scorers judge each sample as it is
    done (inspect_ai): the same cache, calls and retries as ``LLMJudge``, ``concurrency`` calls in flight.

    A failure every call would meet (a rejected key, an exhausted quota) raises ``JudgeFailed``; other
    failed calls and replies without a class are returned as such, for the host to count against their
    budgets (``Budgets``), as ``LLMJudge`` does. The connection pool is opened in the event loop that first
    uses it.
    """

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        self._store = JudgeCache(settings.cache_path)
        self._http: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._reported = False

    async def judge(self, item: JudgeInput) -> Judgement:
        """The judgement of one item: from the cache, else from one call (stored if it is a verdict)."""
        key = _cache_key(self.settings, item)
        cached = _cached(self.settings, self._store, [key])
        if key in cached:
            return judgement(item, cached[key], cached=True, settings=self.settings)
        if self._http is None or self._slots is None:
            self._http, self._slots = open_http(self.settings), asyncio.Semaphore(self.settings.concurrency)
        async with self._slots:
            result = await _call(self._http, self.settings, self._store, key, item)
        if self._store.unwritable and not self._reported:
            self._reported = True
            log.warning("VSCBench LLM judge: %s", self._store.unwritable)
        if result.failed and result.fatal:
            tally = Tally()
            tally.add(result)
            raise JudgeFailed(tally.stop_reason(self.settings, Budgets(0, 0)) or "")
        return judgement(item, result, cached=False, settings=self.settings)
