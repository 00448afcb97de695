"""Messages point at guides every install has: each guide a message names is a file in the package, and
the package data ships the guides folder."""

from __future__ import annotations

import re
from pathlib import Path

from vscbench_task.guides import FOLDER, guide

PACKAGE = Path(__file__).resolve().parents[2] / "vscbench_task"


def test_every_guide_a_message_names_is_shipped() -> None:
    named = {
        match
        for path in PACKAGE.rglob("*.py")
        for match in re.findall(r"guide\('([a-z_]+)'\)|guides/([a-z_]+)\.md", path.read_text())
    }
    names = {first or second for first, second in named}
    assert {"llm_judge", "report"} <= names
    for name in names:
        assert guide(name).is_file(), name
    assert '"guides/*.md"' in (PACKAGE.parent / "pyproject.toml").read_text()  # in the package data
    assert FOLDER == PACKAGE / "guides"
