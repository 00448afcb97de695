"""How far two judges agree on the same items: percent agreement and Cohen's kappa.

Kappa corrects the agreement for what two judges with the same yes-rates would reach by chance:
``(p_o - p_e) / (1 - p_e)`` with ``p_e = p_a * p_b + (1 - p_a) * (1 - p_b)``. It is undefined (NaN)
when chance agreement is already perfect, i.e. both judges give one and the same verdict throughout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def _paired(a: Mapping[str, bool], b: Mapping[str, bool]) -> list[tuple[bool, bool]]:
    if a.keys() != b.keys():
        raise ValueError(f"the two judges rated different items ({len(a.keys() ^ b.keys())} not shared)")
    return [(a[k], b[k]) for k in a]


def percent_agreement(a: Mapping[str, bool], b: Mapping[str, bool]) -> float:
    """Share of items (in percent) where both judges give the same verdict; NaN without items."""
    pairs = _paired(a, b)
    return 100.0 * sum(x == y for x, y in pairs) / len(pairs) if pairs else math.nan


def cohen_kappa(a: Mapping[str, bool], b: Mapping[str, bool]) -> float:
    """Cohen's kappa of two boolean judges over the same items (NaN when undefined)."""
    pairs = _paired(a, b)
    if not pairs:
        return math.nan
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    yes_a = sum(x for x, _ in pairs) / n
    yes_b = sum(y for _, y in pairs) / n
    chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return math.nan if chance == 1 else (observed - chance) / (1 - chance)


def summary(a: Mapping[str, bool], b: Mapping[str, bool]) -> dict[str, Any]:
    """Items compared, percent agreement and kappa, as written to rescore results."""
    return {"items": len(a), "percent_agreement": percent_agreement(a, b), "cohen_kappa": cohen_kappa(a, b)}
