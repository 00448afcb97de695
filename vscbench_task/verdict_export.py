"""``vscbench verdicts export``: a run's LLM judge verdicts as a verdict file (``judges.verdicts``).

Before the official judge is shut down, export the verdicts of every run you publish: with the file,
anyone holding the run reproduces every figure with no judge (``vscbench rescore RUN --verdicts FILE``).

The verdicts come from where they already are, and no call is made unless asked:

* the judge's cache (the default): the LLM judge the environment configures (``judges.llm.settings``),
  its replies to this run's responses read from its cache. Docs without a cached reply are refused,
  naming how many, unless ``call`` (``--call``: the judge answers them, paid calls, with its preflight and
  failure budget) or ``allow_partial`` (the docs found are exported, the rest counted);
* the per-item judgements file a ``vscbench rescore --judge llm`` wrote (``judgements``), with the judge's
  identity from the results file beside it: a run judged on another machine. Each line's response hash
  must be the run's, and its classes must follow from its reply.

The cache holds verdicts only (replies with a class): a run whose judging had failed calls or replies
without a class (counted, within their budgets) is exported from its rescore's per-item file, which holds
every item as it was scored. The file is strict JSON Lines, written whole or not at all; it holds the
judge's endpoint without credentials or query, and replies as audit files show them (a secret a server
quoted blanked as ``***``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vscbench_task import json_lines
from vscbench_task.dataset import datadir
from vscbench_task.hosts.readers import load_run
from vscbench_task.hosts.run import Run
from vscbench_task.judges.base import JudgeInput, Judgement
from vscbench_task.judges.llm import prompt
from vscbench_task.judges.verdicts import VerdictsError, response_sha256, verdict_line
from vscbench_task.output_files import check_file_target, write_text
from vscbench_task.scoring.records import Response, official_response
from vscbench_task.scoring.score import judge_input

JUDGEMENTS_SUFFIX = "_judgements.jsonl"  # what rescore names the per-item file beside its results file


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the file, its docs, and where the verdicts came from."""

    path: Path
    docs: int
    failed: int
    left_out: int
    source: str
    calls: int
    identity: dict[str, Any]


def run_responses(run: Run, source: str) -> dict[str, Response]:
    """doc_key -> response over every task of the run. A run of both the keyword and the judge task of a
    part answers each doc twice; the same response is one doc, two different ones are refused."""
    found: dict[str, tuple[str, Response]] = {}
    for task, responses in sorted(run.responses.items()):
        for response in responses:
            seen = found.setdefault(response.doc_key, (task, response))
            if seen[1].response != response.response:
                raise VerdictsError(
                    f"{source}: tasks {seen[0]} and {task} hold different responses to {response.doc_key}; a verdict "
                    "file is of one set of responses: export each task's run from its own output folder"
                )
    return {key: response for key, (_, response) in found.items()}


def _from_cache(
    inputs: list[JudgeInput], *, call: bool, allow_partial: bool
) -> tuple[dict[str, Judgement], int, dict[str, Any]]:
    """Judgements of the configured LLM judge: from its cache, calling for the rest only if ``call``."""
    from vscbench_task.judges.identity import described, judge_identity
    from vscbench_task.judges.llm.judge import LLMJudge
    from vscbench_task.judges.llm.settings import from_env

    judge = LLMJudge(from_env())
    identity = judge_identity(judge.settings)
    found = judge.from_cache(inputs)
    missing = [item for item in inputs if item.key not in found]
    calls = 0
    if missing and call:
        judged = judge.judge(missing)
        found |= judged.judgements
        calls = judged.stats["api_calls"]
    elif missing and not allow_partial:
        raise VerdictsError(
            f"{len(missing):,} of the run's {len(inputs):,} docs have no reply in the cache of the judge "
            f"{described(identity)} ({judge.settings.cache_path}; failed calls and replies without a class are "
            "never cached): export from the per-item file the rescore of this run wrote (--judgements FILE), set "
            "the judge's variables as the run was judged, or pass --call to have the judge answer them (paid calls)"
        )
    return found, calls, identity


def rescore_identity(judgements: Path) -> dict[str, Any]:
    """The judge identity in the results file ``vscbench rescore`` wrote beside a per-item judgements file."""
    results = judgements.with_name(judgements.name.removesuffix(JUDGEMENTS_SUFFIX) + ".json")
    if not judgements.name.endswith(JUDGEMENTS_SUFFIX) or not results.is_file():
        raise VerdictsError(
            f"{judgements}: the judge that gave these judgements is named in the results file rescore wrote beside "
            f"it ({results.name}), which is not there: keep the two files together"
        )
    try:
        block = json.loads(results.read_text(encoding="utf-8"))["vscbench"]
        identity = block["judge_identity"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise VerdictsError(
            f"{results}: no judge identity in it ({type(err).__name__}: {err}); it was written by an older "
            "vscbench-task: rescore the run again (a cached rescore makes no call)"
        ) from None
    if block.get("judge") != "llm" or not isinstance(identity, dict):
        raise VerdictsError(f"{results}: not the results of an LLM judge rescore")
    return identity


def _judgement_of_line(entry: Any, where: str, responses: dict[str, Response]) -> Judgement:
    """One per-item line, checked against the run: its response hash, and classes that follow from the reply."""
    fields = ("doc_key", "response_sha256", "llm_judge_reply", "llm_judge_failed", "llm_judge_error")
    if not isinstance(entry, dict) or any(name not in entry for name in fields):
        raise VerdictsError(
            f"{where}: not a line of a rescore's per-item judgements file with response hashes (fields "
            f"{', '.join(fields)}); files of older versions lack response_sha256: rescore the run again"
        )
    doc_key = entry["doc_key"]
    if doc_key not in responses:
        raise VerdictsError(f"{where}: {doc_key!r} is not a doc of this run: the judgements are of another run")
    response = responses[doc_key].response
    if entry["response_sha256"] != response_sha256(response):
        raise VerdictsError(
            f"{where}: the judged response of {doc_key} is not the run's (response_sha256 differs): the judgements "
            "are of another run"
        )
    if not isinstance(entry["llm_judge_reply"], str) or not isinstance(entry["llm_judge_failed"], bool):
        raise VerdictsError(f"{where}: llm_judge_reply must be text and llm_judge_failed true or false")
    origin = {name: entry.get(name) for name in ("llm_judge_served_model", "llm_judge_system_fingerprint")}
    if any(value is not None and not isinstance(value, str) for value in origin.values()):
        raise VerdictsError(f"{where}: llm_judge_served_model and llm_judge_system_fingerprint must be text or null")
    judgement = prompt.reply_judgement(
        doc_key,
        official_response(response),
        entry["llm_judge_reply"],
        failed=entry["llm_judge_failed"],
        error=entry["llm_judge_error"],
        **origin,
    )
    recorded = {"llm": entry.get("llm_judge_class"), "llm_strict": entry.get("llm_judge_strict_class")}
    if recorded != dict(judgement.classes):  # a blanked secret never holds a class: see judges.verdicts
        raise VerdictsError(f"{where}: the classes {recorded} do not follow from the reply: the line was edited")
    return judgement


def _from_judgements(path: Path, responses: dict[str, Response]) -> dict[str, Judgement]:
    """Judgements from a rescore's per-item file (a doc judged in two tasks must be judged alike)."""
    _, lines = json_lines.read(path, "a per-item judgements file", VerdictsError)
    found: dict[str, tuple[str, Judgement]] = {}
    for _, where, entry in lines:
        judgement = _judgement_of_line(entry, where, responses)
        first = found.setdefault(judgement.key, (where, judgement))
        if first[1].details["llm_judge_reply"] != judgement.details["llm_judge_reply"]:
            raise VerdictsError(f"{where}: another reply for {judgement.key} than at {first[0]}")
    return {key: judgement for key, (_, judgement) in found.items()}


def export(
    source: str | Path,
    out: Path,
    *,
    responses_file: bool = False,
    judgements: Path | None = None,
    call: bool = False,
    allow_partial: bool = False,
) -> Exported:
    """Write the verdict file of the run at ``source`` to ``out`` (see the module) and say what it holds."""
    run = load_run(source, allow_partial=allow_partial, responses_file=responses_file)
    kept, folders = datadir.kept_paths(datadir.resolve())
    read = [Path(source), *run.files, *([judgements] if judgements is not None else []), *kept]
    check_file_target(out, "--out", [path for path in read if not path.is_dir()], folders)
    responses = run_responses(run, str(source))
    inputs = [judge_input(response) for response in responses.values()]
    if judgements is not None:
        identity = rescore_identity(judgements)
        found, calls, origin = _from_judgements(judgements, responses), 0, str(judgements)
        missing = len(responses) - len(found)
        if missing and not allow_partial:
            raise VerdictsError(
                f"{judgements}: no judgement for {missing:,} of the run's {len(responses):,} docs: it is of a part "
                "of the run (pass --allow-partial to export the docs it has)"
            )
    else:
        found, calls, identity = _from_cache(inputs, call=call, allow_partial=allow_partial)
        origin = "the judge's cache" + (f" and {calls:,} calls" if calls else "")
    lines = [
        verdict_line(key, response.response, found[key], identity)
        for key, response in responses.items()
        if key in found
    ]
    text = "".join(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n" for line in lines)
    write_text(out, text)
    failed = sum(line["failed"] for line in lines)
    return Exported(out, len(lines), failed, len(responses) - len(lines), origin, calls, identity)
