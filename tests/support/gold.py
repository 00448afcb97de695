"""The gold sets for the judge-validation tests: where a copy of the XSTest completions is, and judge
replies that give each gold response its human class (for the loopback judge's ``--answers``)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.support.lmms import REPO
from tests.support.stub_server import prompt_sha
from vscbench_task.judges.llm import prompt
from vscbench_task.scoring.records import official_response
from vscbench_task.validation.gold import XSTEST_FILES, GoldItem

# The XSTest completions are not redistributable: the tests use the copy beside the project (or the one
# VSCBENCH_TEST_XSTEST_DIR names) and skip what needs it where there is none.
XSTEST_CANDIDATES = [
    Path(os.environ.get("VSCBENCH_TEST_XSTEST_DIR", "/nonexistent")),
    REPO.parent / "shared" / "data" / "gold" / "xstest",
]


def xstest_copy() -> Path:
    for folder in XSTEST_CANDIDATES:
        if all((folder / file).is_file() for file, _ in XSTEST_FILES.values()):
            return folder
    pytest.skip("no copy of the XSTest v2 completions beside the project (set VSCBENCH_TEST_XSTEST_DIR)")


def gold_prompt_sha(item: GoldItem) -> str:
    return prompt_sha(prompt.render(item.query, official_response(item.response)))


def unambiguous(items: Iterable[GoldItem]) -> list[GoldItem]:
    """The items whose judge prompt no other item shares with another human class (MSTS holds a few
    identical query+response pairs labelled differently: no judge can get both right)."""
    items = list(items)
    classes = defaultdict(set)
    for item in items:
        classes[gold_prompt_sha(item)].add(item.human_class)
    return [item for item in items if len(classes[gold_prompt_sha(item)]) == 1]


def gold_answers(items: Iterable[GoldItem], path: Path) -> Path:
    """A ``--answers`` file that makes the loopback judge give every item its human class."""
    answers = {gold_prompt_sha(i): f"CLASS: {i.human_class}; EXPLANATION: as the annotators said." for i in items}
    path.write_text(json.dumps(answers), encoding="utf-8")
    return path
