"""Opening a labelling session: the run, the judge's classes for the strata, the sample, the labels file.

Everything that can stop a session is checked before the server starts: the run reads (any host's, as
``rescore`` reads it), the judge answers (its classes only shape the strata; the page never shows them),
the labels file is this annotator's and matches this sample (a file from another run, seed or sample size
is refused rather than mixed in), and every sampled image is present and unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from vscbench_task.annotate.labels import LabelsFile, LabelsFileError, label_id
from vscbench_task.annotate.sample import Sample, draw
from vscbench_task.annotate.server import Session
from vscbench_task.hosts.readers import load_run
from vscbench_task.judges.base import CLASSES, Judge, Judgement
from vscbench_task.judges.factory import make_judge
from vscbench_task.judges.verdicts import VerdictsJudge, read_verdicts
from vscbench_task.output_files import check_file_target
from vscbench_task.scoring.records import Response
from vscbench_task.scoring.score import judge_responses

KEYWORD_LABELS = ("recognised", "not_recognised")
LLM_LABELS = (*CLASSES, "no_class", "failed")


def judge_label(judge: str, judgement: Judgement) -> str:
    """The stratum label of a judgement: the LLM judge's official class (or ``no_class``, ``failed``);
    the keyword judge's verdict."""
    if judge == "keyword":
        return KEYWORD_LABELS[0] if judgement.recognised["keyword"] else KEYWORD_LABELS[1]
    if judgement.failed:
        return "failed"
    return judgement.classes.get("llm") or "no_class"


def judge_classes(responses: dict[str, list[Response]], chosen: Judge, source: str) -> dict[str, str]:
    """doc_key -> the judge's stratum label, every task of the run judged once."""
    found: dict[str, str] = {}
    for task, task_responses in responses.items():
        judged = judge_responses(task_responses, chosen, source=f"{source} ({task})").judged
        found |= {key: judge_label(chosen.name, j) for key, j in judged.judgements.items()}
    return found


def open_session(
    run: Path,
    out: Path,
    *,
    size: int,
    seed: int,
    annotator: str,
    data_dir: Path,
    judge: str | None = None,
    verdicts: Path | None = None,
    responses_file: bool = False,
    only: Collection[str] | None = None,
    title: str = "VSCBench labelling",
) -> tuple[Session, Sample]:
    """A checked session over the sample of ``run`` (``only``: just these ids, for adjudication); ``judge``
    (a judge's name) or ``verdicts`` (a verdict file) adds the judge's class to the strata."""
    loaded = load_run(run, responses_file=responses_file)
    check_file_target(out, "--out", loaded.files)  # never over a file of the run
    responses = [r for task_responses in loaded.responses.values() for r in task_responses]
    if only is not None:
        responses = [r for r in responses if label_id(loaded.model, r.doc_key) in only]
        size = len(responses)
    chosen: Judge | None = None
    if verdicts is not None:
        chosen = VerdictsJudge(read_verdicts(verdicts))
    elif judge is not None:
        chosen = make_judge(judge)
    classes = None if chosen is None else judge_classes(loaded.responses, chosen, str(run))
    labels = () if chosen is None else KEYWORD_LABELS if chosen.name == "keyword" else LLM_LABELS
    sample = draw(responses, size, seed, classes, labels)
    store = LabelsFile(out, annotator)
    try:
        _check_matches(store, sample, loaded.model)
        session = Session(loaded.model, sample.items, store, data_dir, title=title)
        session.check_images()
    except BaseException:
        store.close()
        raise
    return session, sample


def _check_matches(store: LabelsFile, sample: Sample, model: str) -> None:
    """Refuse a labels file holding responses this sample does not (another run, seed or size), or other
    answers under the same ids (another run of the same model name: its labels are not these answers')."""
    ids = {label_id(model, sampled.response.doc_key): sampled for sampled in sample.items}
    foreign = sorted(set(store.labels) - set(ids))
    if foreign:
        raise LabelsFileError(
            f"{store.path} holds labels of {len(foreign)} responses that are not in this sample (first: {foreign[0]}): "
            "it was made for another run, --seed or --sample. Give the same options to resume it, or another --out"
        )
    changed = sorted(key for key, texts in store.responses.items() if texts != {ids[key].response.response or ""})
    if changed:
        raise LabelsFileError(
            f"{store.path} labels other answers than this run's to {len(changed)} items (first: {changed[0]}): it "
            "was made for another run of the same model name. Resume it with that run, or label this one into "
            "another --out"
        )
