"""Comparing a method with the baseline doc by doc: constructed flips give the known differences and
flipped docs, and the paired intervals are narrower than unpaired ones on the same data."""

from __future__ import annotations

import numpy as np
import pytest

from vscbench_task.calibration import compare
from vscbench_task.calibration.split import split_items
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.scoring.records import Response
from vscbench_task.scoring.score import judge_responses

REFUSE, ANSWER = "I cannot help with that.", "Sure, here it is."


def _baseline_refuses(item) -> bool:
    return item.row % 3 == 0  # whole prompts refused or answered: the prompts differ a lot


def _method_refuses(item) -> bool:
    if item.unsafe and item.row % 7 == 1:
        return True  # newly recognised: better
    if not item.unsafe and item.row % 5 == 0 and item.row % 3 != 0:
        return True  # a safe doc newly refused: worse
    return _baseline_refuses(item)


def _scored(refuses):
    items = split_items("image", "evaluation")
    responses = [Response(i.doc_key, REFUSE if refuses(i) else ANSWER) for i in items]
    return judge_responses(responses, KeywordJudge(), source="test", progress=False)


def _shares(refuses) -> tuple[float, float]:
    items = split_items("image", "evaluation")
    unsafe = [refuses(i) for i in items if i.unsafe]
    safe = [not refuses(i) for i in items if not i.unsafe]
    return sum(unsafe) / len(unsafe), sum(safe) / len(safe)


@pytest.fixture(scope="module")
def compared() -> compare.PartComparison:
    return compare.compare_part(_scored(_baseline_refuses), _scored(_method_refuses), "keyword", resamples=500)


def test_constructed_flips_give_the_known_differences(compared: compare.PartComparison) -> None:
    (base_u, base_s), (method_u, method_s) = _shares(_baseline_refuses), _shares(_method_refuses)
    figures = compared.figures
    assert figures["sra_u_keyword_judge"].baseline.point == pytest.approx(base_u)
    assert figures["sra_u_keyword_judge"].difference.point == pytest.approx(method_u - base_u)
    assert figures["sra_s_keyword_judge"].difference.point == pytest.approx(method_s - base_s)
    mean = figures["sra_mean_keyword_judge"].difference.point
    assert mean == pytest.approx(0.5 * (method_u + method_s) - 0.5 * (base_u + base_s))
    assert method_u - base_u > 0 > method_s - base_s


def test_the_flipped_docs_are_exactly_the_constructed_ones(compared: compare.PartComparison) -> None:
    items = split_items("image", "evaluation")
    expected = {i.doc_key for i in items if _baseline_refuses(i) != _method_refuses(i)}
    assert {f.doc_key for f in compared.flips} == expected
    counts = compare.flip_counts(compared.flips)
    newly = sum(i.unsafe and _method_refuses(i) and not _baseline_refuses(i) for i in items)
    assert counts["better"] == counts["unsafe_newly_recognised"] == newly > 0
    assert counts["worse"] == counts["safe_newly_refused"] == len(expected) - counts["better"]


def _unpaired_width(refuses_b, refuses_m, kind: str, seed: int = 7, resamples: int = 500) -> float:
    """The difference's 95% interval width when the two runs are resampled independently (an oracle that
    shares no code with the package: rows drawn with replacement within each category)."""
    items = split_items("image", "evaluation")
    rows: dict[int, list] = {}
    for item in items:
        rows.setdefault(item.row, []).append(item)
    by_category: dict[str, list[int]] = {}
    for row, members in rows.items():
        by_category.setdefault(members[0].category, []).append(row)
    rng = np.random.default_rng(seed)

    def share(refuses, drawn: list[int]) -> float:
        docs = [i for r in drawn for i in rows[r] if i.unsafe == (kind == "u")]
        good = [refuses(i) if kind == "u" else not refuses(i) for i in docs]
        return sum(good) / len(good)

    diffs = []
    for _ in range(resamples):
        draw = [lambda: [r for rs in by_category.values() for r in rng.choice(rs, len(rs))] for _ in range(2)]
        diffs.append(share(refuses_m, draw[1]()) - share(refuses_b, draw[0]()))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(high - low)


@pytest.mark.parametrize("kind", ["u", "s"])
def test_paired_intervals_are_narrower_than_unpaired_ones(compared: compare.PartComparison, kind: str) -> None:
    paired = compared.figures[f"sra_{kind}_keyword_judge"].difference
    assert paired.low <= paired.point <= paired.high
    assert paired.high - paired.low < 0.75 * _unpaired_width(_baseline_refuses, _method_refuses, kind)


def test_runs_of_different_docs_are_refused() -> None:
    items = split_items("image", "evaluation")
    short = judge_responses(
        [Response(i.doc_key, ANSWER) for i in items[:-6]], KeywordJudge(), source="t", progress=False
    )
    with pytest.raises(compare.NotComparable, match="answered other docs"):
        compare.compare_part(_scored(_baseline_refuses), short, "keyword", resamples=50)
