"""The architecture, checked against its one map (``docs/architecture.md``): every module imports only what
its room may import, importing a room loads no heavy library its row does not allow, every subpackage and
top-level module has a row, and the command line starts without loading anything heavy."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.support.lmms import REPO

PACKAGE = REPO / "vscbench_task"
MAP = REPO / "docs" / "architecture.md"
HEAVY = ("lmms_eval", "lm_eval", "inspect_ai", "datasets", "pandas", "torch", "transformers", "httpx", "matplotlib")
HEAVY += ("numpy", "PIL")


class Room:
    def __init__(self, name: str, may_import: set[str] | None, may_load: set[str]) -> None:
        self.name, self.may_import, self.may_load = name, may_import, may_load


def _names(cell: str) -> set[str]:
    return set(re.findall(r"`([\w.]+)`", cell))


@cache
def rooms() -> dict[str, Room]:
    """The map's rooms table: room -> what it may import (``None``: every room) and load."""
    text = MAP.read_text(encoding="utf-8")
    table = text.split("<!-- rooms:begin -->")[1].split("<!-- rooms:end -->")[0]
    found = {}
    for line in table.strip().splitlines()[2:]:
        room, _, may_import, may_load = (cell.strip() for cell in line.strip().strip("|").split("|"))
        (name,) = _names(room)
        found[name] = Room(name, None if may_import == "every room" else _names(may_import), _names(may_load))
    return found


def room_of(module: str) -> str | None:
    """The most specific room naming ``module`` (``vscbench_task.a.b.c``)."""
    parts = module.split(".")[1:]
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in rooms():
            return ".".join(parts[:size])
    return None


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        dotted = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        found[dotted] = path
    return found


def imports_of(path: Path) -> set[str]:
    """Every ``vscbench_task`` module ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vscbench_task"):
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("vscbench_task")}
    return found


def test_every_subpackage_and_top_level_module_has_a_room() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__",)}
    top |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    top |= {f"{p.parent.name}.{p.name}" for p in PACKAGE.glob("*/*") if (p / "__init__.py").is_file()}
    named = set(rooms())
    missing = sorted(name for name in top if room_of(f"vscbench_task.{name}") is None)
    assert not missing, f"add a row to docs/architecture.md for: {missing}"
    stale = sorted(name for name in named if not (PACKAGE / name.replace(".", "/")).exists() and name not in top)
    assert not stale, f"rows of docs/architecture.md without a module: {stale}"


def test_every_folder_of_modules_is_a_package_so_a_wheel_ships_it() -> None:
    """A folder without ``__init__.py`` is a namespace package: the editable install finds it, a wheel
    built by ``packages.find`` leaves it out. Only the lmms-eval task folder is data (its ``utils.py`` is
    loaded by path by lmms-eval)."""
    data_folders = {PACKAGE / "hosts" / "lmms_eval" / "tasks"}
    folders = {path.parent for path in PACKAGE.rglob("*.py")} - data_folders
    assert sorted(str(f) for f in folders if not (f / "__init__.py").is_file()) == []


def test_every_type_exemption_has_an_error_code_and_is_named_in_the_map() -> None:
    """mypy's exemptions are allowed only at third-party boundaries, and the map says which and why, so a
    new one cannot slip in without a reader seeing it."""
    section = MAP.read_text(encoding="utf-8").split("## Types", 1)[1].split("\n## ", 1)[0]
    stated = re.search(r"and (\w+) `type: ignore\[code\]`", section)
    assert stated, "docs/architecture.md's Types section must state how many `type: ignore[code]` there are"
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "type: ignore" in line:
                relative = path.relative_to(PACKAGE).as_posix()
                assert re.search(r"type: ignore\[[a-z-]+(, *[a-z-]+)*\]", line), f"{relative}: give the error code"
                assert f"`{relative}`" in section, f"name {relative} in docs/architecture.md's Types section"
                found.append(relative)
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
    assert words.get(stated.group(1)) == len(found), f"the map states {stated.group(1)}; the package has {found}"
    casts = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "cast(" in p.read_text("utf-8"))
    assert not (casts and "No casts" in section), f"the map says no casts; these modules have one: {casts}"


def test_every_import_points_where_the_map_allows() -> None:
    wrong = []
    for module, path in sorted(modules().items()):
        mine = room_of(module)
        if mine is None:  # the package's __init__
            continue
        allowed = rooms()[mine].may_import
        for target in imports_of(path):
            theirs = room_of(target)
            if theirs is not None and theirs != mine and allowed is not None and theirs not in allowed:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


def loaded_after(code: str) -> set[str]:
    """Top-level modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys, json; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("room", [name for name in rooms() if name not in ("cli", "lmms", "lm_harness")])
def test_importing_a_room_loads_only_the_heavy_libraries_its_row_allows(room: str) -> None:
    mine = [module for module in modules() if room_of(module) == room and not module.endswith("__main__")]
    loaded = loaded_after("\n".join(f"import {module}" for module in mine))
    unexpected = sorted((loaded & set(HEAVY)) - rooms()[room].may_load)
    assert not unexpected, f"importing {room} loads {unexpected}"


@pytest.mark.parametrize(
    "argv",
    [
        ["tasks-dir"],
        ["lm-eval-tasks-dir"],
        ["--help"],
        ["rescore", "--help"],
        ["report", "--help"],
        ["export", "--help"],
    ],
)
def test_the_command_line_loads_nothing_heavy(argv: list[str]) -> None:
    code = f"import sys\nfrom vscbench_task.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    loaded = loaded_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_judge_is_chosen_without_loading_the_network_stack_unless_it_is_the_llm_judge() -> None:
    assert "httpx" not in loaded_after("from vscbench_task.judges.factory import make_judge\nmake_judge('keyword')")
