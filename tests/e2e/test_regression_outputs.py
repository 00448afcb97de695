"""Behaviour kept: ``rescore`` and ``report`` on saved runs of every host, with both judges, give today
exactly what they gave when the fixtures were captured (``tests/support/regression.py``), field by field,
timestamps and machine paths excepted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.regression import OUTPUTS, differences, outputs


def test_rescore_and_report_outputs_are_unchanged_for_every_host_and_judge(tmp_path: Path) -> None:
    expected = json.loads(OUTPUTS.read_text(encoding="utf-8"))
    found = outputs(tmp_path)
    assert found.keys() == expected.keys()
    changed = differences(found, expected)
    assert not changed, f"{len(changed)} fields changed:\n" + "\n".join(changed[:40])
