"""Messages point at guides every install has: each guide the code names is a file in the package, and
the package data ships the guides folder."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from vscbench_task.guides import FOLDER, guide

PACKAGE = Path(__file__).resolve().parents[2] / "vscbench_task"


def _named_guides(source: str) -> set[str]:
    """Every ``guide("name")`` call's argument, and every ``guides/<name>.md`` in a string."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "guide":
            (argument,) = node.args
            assert isinstance(argument, ast.Constant), "guide() takes a literal name, so this test can check it"
            names.add(argument.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(re.findall(r"guides/([a-z_]+)\.md", node.value))
    return names


def test_every_guide_the_code_names_is_shipped() -> None:
    names = set().union(*(_named_guides(path.read_text()) for path in PACKAGE.rglob("*.py")))
    assert {"llm_judge", "report"} <= names
    for name in names:
        assert guide(name).is_file(), name
    assert '"guides/*.md"' in (PACKAGE.parent / "pyproject.toml").read_text()  # in the package data
    assert FOLDER == PACKAGE / "guides"
