"""Two annotators on the same sample: their agreement (the human ceiling), the disagreements, the gold file.

``agreement`` compares the latest standing labels of two labels files on the responses both labelled:
Cohen's kappa on *recognised* (refused or flagged: ``*_SAFE``) and on the four classes, the percent
agreement, and every response they disagree on. ``merged`` writes the adjudicated gold file: where the
two agree, their class; where they do not, the adjudicator's (a third labels file, labelled with
``vscbench annotate RUN --adjudicate A B --out C``); a disagreement nobody settled is refused by name.
Each merged line says whether it was ``adjudicated`` and gives, as ``human_class_2``, the class of the
annotator the final label overrules (the second annotator's where nobody was overruled), so the ceiling
``validate-judge`` reports is the two annotators' own agreement: where they disagreed, the final label
differs from ``human_class_2`` whichever side the adjudicator took. (On *recognised* it is exact unless the
adjudicator chose a class neither gave; ``--agreement`` gives the annotators' figures exactly.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vscbench_task.annotate.labels import LabelsFileError, history, latest_lines
from vscbench_task.judges.base import is_recognised
from vscbench_task.output_files import write_text
from vscbench_task.scoring import agreement as stats


def standing(path: Path) -> dict[str, dict[str, Any]]:
    """id -> the latest line of the file for it (by time, as ``annotate`` and ``validate-judge`` read it),
    if that line is a label (not a withdrawal)."""
    latest = latest_lines(history(path))
    return {key: entry for key, (entry, label) in latest.items() if label.human_class is not None}


def _two_annotators(files: list[Path], labels: list[dict[str, dict[str, Any]]]) -> None:
    """Refuse one file or one annotator given twice (a ceiling of 1 that no two people reached), and
    responses that differ under one id (two runs of one model name: not one sample)."""
    for i, (path, found) in enumerate(zip(files, labels, strict=True)):
        for other_path, other in zip(files[:i], labels[:i], strict=True):
            if path.resolve() == other_path.resolve():
                raise LabelsFileError(f"{path} is given twice: compare two annotators' labels files")
            names = {e.get("annotator") for e in found.values()}, {e.get("annotator") for e in other.values()}
            both = sorted(str(name) for name in (names[0] & names[1]) - {None})
            if both:
                raise LabelsFileError(
                    f"{other_path} and {path} are both labelled by {both[0]!r}: "
                    "agreement and adjudication need different people"
                )
            for key in found.keys() & other.keys():
                fields = ("doc_key", "model", "response", "query")
                if any(found[key].get(f) != other[key].get(f) for f in fields):
                    raise LabelsFileError(
                        f"{other_path} and {path} label different responses under the id {key!r} (another run "
                        "of the same model name?): both files must label the same sample of the same run"
                    )


def agreement(first: Path, second: Path) -> dict[str, Any]:
    """Kappa on recognised and on the four classes, over the responses both files label."""
    a, b = standing(first), standing(second)
    _two_annotators([first, second], [a, b])
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise LabelsFileError(f"{first} and {second} label no response in common: label the same sample")
    classes_a = {key: a[key]["human_class"] for key in shared}
    classes_b = {key: b[key]["human_class"] for key in shared}
    recognised_a = {key: is_recognised(value) for key, value in classes_a.items()}
    recognised_b = {key: is_recognised(value) for key, value in classes_b.items()}
    return {
        "files": [str(first), str(second)],
        "annotators": [a[shared[0]].get("annotator"), b[shared[0]].get("annotator")],
        "labelled_by_both": len(shared),
        "only_first": len(a.keys() - b.keys()),
        "only_second": len(b.keys() - a.keys()),
        "recognised": stats.summary(recognised_a, recognised_b),
        "classes": {
            "percent_agreement": stats.percent_agreement(classes_a, classes_b),
            "cohen_kappa": stats.cohen_kappa(classes_a, classes_b),
        },
        "disagreements": [
            {"id": key, "doc_key": a[key].get("doc_key"), "first": classes_a[key], "second": classes_b[key]}
            for key in shared
            if classes_a[key] != classes_b[key]
        ],
    }


def disagreeing(first: Path, second: Path) -> set[str]:
    """The ids the two files label differently."""
    return {item["id"] for item in agreement(first, second)["disagreements"]}


def merged(first: Path, second: Path, adjudicated: Path | None, out: Path) -> int:
    """Write the adjudicated gold file (see the module); returns its number of lines."""
    a, b = standing(first), standing(second)
    settled = standing(adjudicated) if adjudicated is not None else {}
    _two_annotators(
        [first, second, *([adjudicated] if adjudicated else [])], [a, b, *([settled] if adjudicated else [])]
    )
    if a.keys() != b.keys():
        raise LabelsFileError(
            f"{first} and {second} label different responses ({len(a.keys() ^ b.keys())} not shared): "
            "both annotators finish the same sample first"
        )
    lines = []
    unsettled = []
    for key in sorted(a):
        final = a[key]["human_class"]
        if final != b[key]["human_class"]:
            if key not in settled:
                unsettled.append(key)
                continue
            final = settled[key]["human_class"]
        sources = (a[key], b[key], settled.get(key, {}))
        entry = {k: v for k, v in a[key].items() if k not in ("withdrawn", "restored", "note")}
        entry |= {
            "human_class": final,
            "human_class_2": a[key]["human_class"] if final == b[key]["human_class"] else b[key]["human_class"],
            "adjudicated": key in settled and a[key]["human_class"] != b[key]["human_class"],
            "annotator": " + ".join(str(s["annotator"]) for s in sources if s.get("annotator")),
            "note": " | ".join(str(s["note"]) for s in sources if s.get("note")),
        }
        lines.append(entry)
    if unsettled:
        shown = ", ".join(unsettled[:5]) + (f" and {len(unsettled) - 5} more" if len(unsettled) > 5 else "")
        raise LabelsFileError(
            f"{len(unsettled)} disagreements are not adjudicated ({shown}): label them with "
            f"`vscbench annotate RUN --adjudicate {first} {second} --out C.jsonl`, then pass --adjudicated C.jsonl"
        )
    write_text(out, "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in lines))
    return len(lines)
