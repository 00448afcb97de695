"""Which responses of a run a person labels: a stratified sample with weights that stand for the run.

Strata are part x safe/unsafe (``image/unsafe``, ``text/safe``, ...) and, when a judge's verdicts are
given, x the judge's class under its official reading (``.../2_UNSAFE``; the keyword judge's
``recognised`` / ``not_recognised``), so that rare disagreements with the judge are seen at all. Every
non-empty stratum gets an equal share of the sample (capped at its size, the rest shared among the
others), since a judge's error in a small stratum matters as much as in a large one. Within a stratum the
draw is balanced over its groups (image category; text variant): groups take turns, each in a seeded
random order.

Each sampled response carries its stratum, the stratum's size in the run and its *weight*, the stratum's
size over the number drawn from it: weighted figures estimate what they would be on the whole run, not on
the oversampled strata. ``validate-judge`` weights by the labels that stand in the end (a stratum's size
over its labels), so a sample left unfinished, or with labels taken back, still stands for the run.

The sample depends only on the run's responses, the verdicts, ``size`` and ``seed``: the same command
gives the same sample, so labelling resumes where it stopped.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vscbench_task.errors import VSCBenchError
from vscbench_task.scoring.records import Response

# Below this many labels per stratum a kappa or an SRA error is mostly noise (its interval spans half the
# scale); the command says so, and the docs give it as the minimum sensible sample.
MIN_PER_STRATUM = 10


class SampleError(VSCBenchError):
    """A sample that cannot be drawn as asked; the message says how to ask."""


@dataclass(frozen=True)
class Sampled:
    """One response to label: the response, its stratum and weight, and its place in the page's order."""

    response: Response
    stratum: str
    weight: float
    stratum_size: int  # responses of the run in the stratum


@dataclass(frozen=True)
class Sample:
    """The drawn responses in the order the page shows them, and what the strata held."""

    items: tuple[Sampled, ...]
    population: dict[str, int]  # stratum -> responses in the run
    drawn: dict[str, int]  # stratum -> responses sampled
    empty: tuple[str, ...]  # strata the design has but the run does not

    def minimum_note(self) -> str | None:
        """Says so when a stratum got fewer than ``MIN_PER_STRATUM`` labels."""
        thin = [s for s, n in self.drawn.items() if n < min(MIN_PER_STRATUM, self.population[s])]
        if not thin:
            return None
        needed = MIN_PER_STRATUM * len(self.drawn)
        return (
            f"strata with fewer than {MIN_PER_STRATUM} responses to label: {', '.join(thin)}; their figures are "
            f"mostly noise. The minimum sensible sample here is {needed} (--sample {needed})"
        )


def stratum_of(response: Response, judge_class: str | None) -> str:
    """``part/safe|unsafe`` and, with a judge's class, ``/class``."""
    item = response.item
    base = f"{item.part}/{'unsafe' if item.unsafe else 'safe'}"
    return base if judge_class is None else f"{base}/{judge_class}"


def _group(response: Response) -> str:
    """What the draw balances within a stratum: the image category, or the text variant."""
    item = response.item
    return item.category if item.part == "image" else str(item.variant)


def _allocate(population: Mapping[str, int], size: int) -> dict[str, int]:
    """An equal share of ``size`` per stratum, capped at its population, the rest handed on in turn."""
    quota = dict.fromkeys(population, 0)
    left = min(size, sum(population.values()))
    while left:
        open_strata = [s for s in sorted(population) if quota[s] < population[s]]
        share, extra = divmod(left, len(open_strata))
        for i, stratum in enumerate(open_strata):
            take = min(share + (i < extra), population[stratum] - quota[stratum])
            quota[stratum] += take
            left -= take
    return quota


def _balanced(responses: Sequence[Response], count: int, rng: random.Random) -> list[Response]:
    """``count`` responses taking turns over the groups, each group in a random order."""
    groups: dict[str, list[Response]] = defaultdict(list)
    for response in sorted(responses, key=lambda r: r.doc_key):
        groups[_group(response)].append(response)
    order = sorted(groups)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(groups[name])
    chosen: list[Response] = []
    while len(chosen) < count:
        for name in order:
            if groups[name] and len(chosen) < count:
                chosen.append(groups[name].pop())
    return chosen


def draw(
    responses: Sequence[Response],
    size: int,
    seed: int,
    judge_classes: Mapping[str, str] | None = None,
    judge_labels: Sequence[str] = (),
) -> Sample:
    """The sample of ``size`` responses (see the module). ``judge_classes`` maps a doc_key to the judge's
    class; ``judge_labels`` are every class it can give (so that strata the run lacks are reported)."""
    if size < 1:
        raise SampleError(f"--sample must be at least 1, got {size}")
    if judge_classes is not None:
        missing = [r.doc_key for r in responses if r.doc_key not in judge_classes]
        if missing:
            raise SampleError(f"the judge's verdicts miss {len(missing):,} responses of the run (first: {missing[0]})")
    by_stratum: dict[str, list[Response]] = defaultdict(list)
    for response in responses:
        judge_class = None if judge_classes is None else judge_classes[response.doc_key]
        by_stratum[stratum_of(response, judge_class)].append(response)
    parts = sorted({r.item.part for r in responses})
    design = [f"{p}/{k}" for p in parts for k in ("safe", "unsafe")]
    if judge_classes is not None:
        design = [f"{s}/{label}" for s in design for label in judge_labels]
    population = {s: len(found) for s, found in sorted(by_stratum.items())}
    quota = _allocate(population, size)
    items = []
    for stratum, count in quota.items():
        chosen = _balanced(by_stratum[stratum], count, random.Random(f"{seed}/{stratum}"))
        weight = population[stratum] / count if count else 0.0
        items += [Sampled(response, stratum, weight, population[stratum]) for response in chosen]
    random.Random(seed).shuffle(items)
    empty = tuple(s for s in design if s not in population)
    return Sample(tuple(items), population, quota, empty)
