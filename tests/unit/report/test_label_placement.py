"""Labels placed on rings around their points: inside the panel, apart from each other, from the other
points' markers and from what is already drawn, and as close to their point as that allows."""

from __future__ import annotations

import numpy as np

from vscbench_task.report.label_placement import MARGIN, place


def boxes(centres: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    return np.column_stack([centres - sizes / 2, centres + sizes / 2])


def overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) whether box i of a and box j of b overlap (touching is apart)."""
    return (
        (a[:, None, 2] > b[None, :, 0])
        & (a[:, None, 0] < b[None, :, 2])
        & (a[:, None, 3] > b[None, :, 1])
        & (a[:, None, 1] < b[None, :, 3])
    )


def test_two_hundred_bunched_points_get_labels_that_overlap_nothing() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal([300, 300], [25, 25], size=(200, 2))
    sizes = np.tile([21.0, 11.0], (200, 1))
    drawn = np.array([[280.0, 280.0, 330.0, 292.0]])  # a text already on the panel, among the points
    centres = place(points, sizes, (0, 0, 600, 600), drawn, marker=7.0)
    labels = boxes(centres, sizes)
    clash = overlaps(labels, labels)
    np.fill_diagonal(clash, False)
    assert not clash.any()
    assert not overlaps(labels, drawn).any()
    markers = np.column_stack([points - 3.5, points + 3.5])
    hits = overlaps(labels, markers)
    np.fill_diagonal(hits, False)  # a label may touch its own point's marker, no other
    assert not hits.any()
    assert (labels[:, :2] >= 0).all() and (labels[:, 2:] <= 600).all()


def test_a_lone_point_gets_its_label_right_beside_it() -> None:
    centres = place(np.array([[100.0, 100.0]]), np.array([[14.0, 11.0]]), (0, 0, 200, 200), np.zeros((0, 4)), 7.0)
    assert np.hypot(*(centres[0] - [100, 100])) <= 3.5 + MARGIN + 7 + 1


def test_a_point_in_a_corner_keeps_its_label_inside_the_panel() -> None:
    centres = place(np.array([[199.0, 1.0]]), np.array([[21.0, 11.0]]), (0, 0, 200, 200), np.zeros((0, 4)), 7.0)
    (x0, y0, x1, y1) = boxes(centres, np.array([[21.0, 11.0]]))[0]
    assert x0 >= 0 and y0 >= 0 and x1 <= 200 and y1 <= 200
