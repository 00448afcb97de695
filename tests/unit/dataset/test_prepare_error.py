"""The message every prepare and verify failure ends with: a count in plain English, each problem, the fix."""

from __future__ import annotations

from vscbench_task.dataset.prepare import PrepareError


def test_the_message_counts_lists_and_says_the_fix() -> None:
    one = PrepareError("data failed verification", ["a.png: missing"], "Run `vscbench prepare` again.")
    assert str(one) == "data failed verification (1 problem):\n  - a.png: missing\nRun `vscbench prepare` again."
    two = PrepareError("the archive is unusable", ["a.png: missing", "b.png: modified"])
    assert str(two) == "the archive is unusable (2 problems):\n  - a.png: missing\n  - b.png: modified"
    assert two.problems == ["a.png: missing", "b.png: modified"]
