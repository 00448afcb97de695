"""Judge a list of records with the official LLM judge: cached, concurrent, honest about failures.

Every record needs its ``doc_key`` and the model's ``response``. The judge sees the doc's
``judge_query`` (looked up from the packaged docs by ``doc_key``) and the official response (an empty
response replaced by the refusal substitute). Records with the same query and response share one call.
Replies already in the cache cost nothing; the rest are sent ``concurrency`` at a time, each committed
to the cache as it arrives.

Per item, ``Judgement`` keeps the raw reply, the official and the strict class, the official boolean
and whether the call failed; ``annotate`` copies these into the records (fields ``llm_judge_*``),
which is what the metrics read and what ``vscbench rescore`` writes out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tqdm import tqdm

from vscbench_task.docs import docs_for
from vscbench_task.llm_judge import prompt
from vscbench_task.llm_judge.cache import JudgeCache, cache_key
from vscbench_task.llm_judge.client import CallResult, complete, open_http, require_working, run_sync
from vscbench_task.llm_judge.settings import JudgeSettings
from vscbench_task.records import Record, official_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judgement:
    """The judge's verdict on one record, in both readings, with how it was obtained."""

    doc_key: str
    reply: str
    official_class: str | None
    strict_class: str | None
    failed: bool
    cached: bool
    error: str | None = None

    @property
    def recognised(self) -> bool:
        """Official verdict: recognised unsafe (a failed call reads as not recognised, as officially)."""
        return prompt.is_recognised(self.official_class)

    @property
    def strict_recognised(self) -> bool:
        """Strict (non-official) verdict; an unparseable reply reads as not recognised."""
        return prompt.is_recognised(self.strict_class)

    def record_fields(self) -> dict[str, Any]:
        """The per-item accounting added to a record."""
        return {
            "llm_judge_reply": self.reply,
            "llm_judge_class": self.official_class,
            "llm_judge_strict_class": self.strict_class,
            "llm_judge_recognised": self.recognised,
            "llm_judge_strict_recognised": self.strict_recognised,
            "llm_judge_failed": self.failed,
            "llm_judge_error": self.error,
        }


@dataclass(frozen=True)
class JudgeRun:
    """The judgements of one call to ``judge_records`` and what they cost."""

    judgements: dict[str, Judgement]  # doc_key -> judgement
    api_calls: int  # distinct prompts sent to the endpoint in this run
    cached_items: int  # records answered from the cache
    failed_items: int  # records whose call failed after all retries

    def annotate(self, records: Iterable[Record]) -> list[Record]:
        """Copies of the records with their ``llm_judge_*`` fields."""
        return [{**r, **self.judgements[r["doc_key"]].record_fields()} for r in records]


@cache
def _queries(part: str) -> dict[str, str]:
    return {doc["doc_key"]: doc["judge_query"] for doc in docs_for(part)}


def judge_input(record: Record) -> tuple[str, str]:
    """(query, response) exactly as the official judge sees them for this record.

    The response is stripped first, as lmms-eval strips generation results before ``process_results``:
    records rebuilt from logged samples (which keep the raw text) then send the judge exactly what the
    task sent, and hit the same cache entries.
    """
    query = _queries(record["part"]).get(record["doc_key"])
    if query is None:
        raise ValueError(f"unknown VSCBench doc {record['doc_key']!r}: records must come from a vscbench task")
    if "response" not in record:
        raise ValueError(
            f"record {record['doc_key']} carries no model response: the LLM judge needs records from a judge "
            "task or from `--log_samples` output (see vscbench_task.lmms_outputs.load_run)"
        )
    return query, official_response(record["response"].strip())


def _judgement(doc_key: str, response: str, result: CallResult, *, cached: bool) -> Judgement:
    return Judgement(
        doc_key=doc_key,
        reply=result.reply,
        official_class=None if result.failed else prompt.official_class(result.reply),
        strict_class=None if result.failed else prompt.strict_class(result.reply, response),
        failed=result.failed,
        cached=cached,
        error=result.error,
    )


async def _call_all(
    settings: JudgeSettings, inputs: dict[str, tuple[str, str]], store: JudgeCache, progress: bool
) -> dict[str, CallResult]:
    """Judge every (query, response) under its cache key, ``concurrency`` calls at a time; store each
    success the moment it arrives."""
    slots = asyncio.Semaphore(settings.concurrency)
    results: dict[str, CallResult] = {}
    with tqdm(total=len(inputs), desc="VSCBench LLM judge", unit="call", disable=not progress) as bar:
        async with open_http(settings) as http:

            async def one(key: str, query: str, response: str) -> None:
                async with slots:
                    result = await complete(http, settings, prompt.render(query, response))
                if not result.failed:
                    official = prompt.official_class(result.reply)
                    store.put(
                        key,
                        model=settings.model,
                        prompt_version=prompt.PROMPT_VERSION,
                        reply=result.reply,
                        official_class=official,
                        strict_class=prompt.strict_class(result.reply, response),
                        recognised=prompt.is_recognised(official),
                    )
                results[key] = result
                bar.update()

            await asyncio.gather(*(one(key, *query_response) for key, query_response in inputs.items()))
    return results


def judge_records(records: list[Record], settings: JudgeSettings, *, progress: bool = True) -> JudgeRun:
    """Judge every record: cache first, then the endpoint (after its preflight check, so a fully cached
    rerun makes no call at all). Failed calls are returned and counted, never raised; only a judge that
    fails its preflight raises ``JudgeNotConfigured``."""
    inputs = {r["doc_key"]: judge_input(r) for r in records}
    keys = {doc_key: cache_key(settings.model, prompt.PROMPT_VERSION, *qr) for doc_key, qr in inputs.items()}
    with JudgeCache(settings.cache_path) as store:
        replies = store.replies(keys.values())
        missing = {keys[d]: qr for d, qr in inputs.items() if keys[d] not in replies}
        if missing:
            require_working(settings)
        called = run_sync(_call_all(settings, missing, store, progress)) if missing else {}
    judgements = {}
    for doc_key, key in keys.items():
        response = inputs[doc_key][1]
        if key in replies:
            result = CallResult(replies[key], failed=False, error=None)
            judgements[doc_key] = _judgement(doc_key, response, result, cached=True)
        else:
            judgements[doc_key] = _judgement(doc_key, response, called[key], cached=False)
    failed = [j for j in judgements.values() if j.failed]
    if failed:
        log.warning(
            "VSCBench LLM judge: %d of %d items failed (after up to %d retries) and count as not recognised "
            "(official reading); first error: %s",
            len(failed),
            len(judgements),
            settings.max_retries,
            failed[0].error,
        )
    cached_items = sum(j.cached for j in judgements.values())
    return JudgeRun(judgements, api_calls=len(missing), cached_items=cached_items, failed_items=len(failed))
