"""Checking a matplotlib figure from the renderer's own boxes, not by eye.

``drawn_texts`` renders the figure and records every text the renderer actually drew (tick labels
outside the view are created but never drawn, so walking the artists would over-count) with its box
in pixels. ``problems`` then lists, in words, every text outside the canvas, every two texts that
overlap and every text under the minimum size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

TOLERANCE = 0.5  # px: anti-aliasing and rounding


@dataclass(frozen=True)
class Drawn:
    text: str
    points: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
    gid: str | None


def drawn_texts(figure: Figure) -> list[Drawn]:
    """Every non-empty text the renderer draws when the figure is saved, with its box."""
    found: list[Drawn] = []
    original = Text.draw

    def record(self: Text, renderer) -> None:  # type: ignore[no-untyped-def]
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            box = self.get_window_extent(renderer)
            found.append(Drawn(self.get_text(), float(self.get_fontsize()), tuple(box.extents), self.get_gid()))

    Text.draw = record  # type: ignore[method-assign]
    try:
        figure.savefig(io.BytesIO(), format="png", dpi=figure.dpi)
    finally:
        Text.draw = original  # type: ignore[method-assign]
    return found


def problems(figure: Figure, min_points: float = 7.0) -> list[str]:
    """What is wrong with the figure's texts: outside the canvas, overlapping another, too small."""
    texts = drawn_texts(figure)
    width, height = figure.bbox.width, figure.bbox.height
    out = []
    for t in texts:
        x0, y0, x1, y1 = t.box
        if x0 < -TOLERANCE or y0 < -TOLERANCE or x1 > width + TOLERANCE or y1 > height + TOLERANCE:
            out.append(f"outside the {width:.0f}x{height:.0f} canvas: {t.text!r} at {t.box}")
        if t.points < min_points:
            out.append(f"under {min_points} pt: {t.text!r} at {t.points} pt")
    boxes = np.array([t.box for t in texts])
    if len(boxes):
        across = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
        up = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1])
        clash = (across > TOLERANCE) & (up > TOLERANCE)
        for i, j in zip(*np.nonzero(np.triu(clash, k=1)), strict=True):
            out.append(f"overlap: {texts[i].text!r} at {texts[i].box} and {texts[j].text!r} at {texts[j].box}")
    return out
