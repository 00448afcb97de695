"""Where to put each point's label so that no two labels overlap: greedy placement on rings.

A leaderboard's calibration plane has up to hundreds of points, often bunched together; each gets a
short label (its number). Points are taken in order (the best first, so the top of the leaderboard
gets the closest places); each label goes to the first free place on rings of growing radius around
its point, every place tried being a box the label's size that stays inside the panel and overlaps
no label placed before it, no other point's marker and no text already on the panel. Pure geometry in
pixels, independent of any plotting library, so it can be checked on its own.
"""

from __future__ import annotations

import math

import numpy as np

RING_STEP = 6.0  # px between rings
MARGIN = 1.0  # px kept free around every box


def _clashes(candidates: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """How many of the boxes ``taken`` ``(m, 4)`` (x0, y0, x1, y1) each candidate box ``(k, 4)`` overlaps."""
    if len(taken) == 0:
        return np.zeros(len(candidates), dtype=int)
    overlap = (
        (candidates[:, None, 2] > taken[None, :, 0])
        & (candidates[:, None, 0] < taken[None, :, 2])
        & (candidates[:, None, 3] > taken[None, :, 1])
        & (candidates[:, None, 1] < taken[None, :, 3])
    )
    return overlap.sum(axis=1)


def _ring(radius: float) -> np.ndarray:
    """Unit offsets on a ring, about one place per ``RING_STEP`` of its circumference, starting to
    the upper right (where a label reads most naturally) and going round."""
    count = max(8, int(2 * math.pi * radius / RING_STEP))
    angles = math.pi / 4 + 2 * math.pi * np.arange(count) / count
    return np.column_stack([np.cos(angles), np.sin(angles)])


def place(
    points: np.ndarray,
    sizes: np.ndarray,
    bounds: tuple[float, float, float, float],
    obstacles: np.ndarray,
    marker: float,
) -> np.ndarray:
    """Centres ``(n, 2)`` of the labels of ``points`` ``(n, 2)`` with sizes ``(n, 2)`` (width, height),
    all in pixels; ``bounds`` (x0, y0, x1, y1) is the panel, ``obstacles`` ``(m, 4)`` boxes already
    drawn, ``marker`` the points' marker size. A label that finds no free place on any ring inside the
    panel goes to the place that overlaps the fewest boxes (the figure checks then report it)."""
    x0, y0, x1, y1 = bounds
    pad = marker / 2 + MARGIN
    markers = np.column_stack([points - pad, points + pad]) if len(points) else np.zeros((0, 4))
    placed: list[np.ndarray] = []
    centres = np.zeros((len(points), 2))
    longest = math.hypot(x1 - x0, y1 - y0)
    for i, (point, (w, h)) in enumerate(zip(points, sizes, strict=True)):
        blocked = np.concatenate([obstacles.reshape(-1, 4), np.delete(markers, i, axis=0), *placed])
        half = np.array([w / 2 + MARGIN, h / 2 + MARGIN])
        best, fewest = None, math.inf
        radius = pad + max(w, h) / 2
        while radius <= longest:
            centre = point + _ring(radius) * radius
            boxes = np.column_stack([centre - half, centre + half])
            inside = (boxes[:, 0] >= x0) & (boxes[:, 1] >= y0) & (boxes[:, 2] <= x1) & (boxes[:, 3] <= y1)
            clashes = np.where(inside, _clashes(boxes, blocked), np.iinfo(int).max)
            j = int(np.argmin(clashes))
            if inside[j] and clashes[j] < fewest:
                best, fewest = centre[j], clashes[j]
                if fewest == 0:
                    break
            radius += RING_STEP
        if best is None:  # no place inside the panel at all (a panel smaller than the label)
            best = np.clip(point, np.array([x0, y0]) + half, np.array([x1, y1]) - half)
        centres[i] = best
        placed.append(np.concatenate([best - half, best + half])[None, :])
    return centres
