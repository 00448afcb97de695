"""The architecture, checked: the scoring core and the data modules import no host, network or plotting
library; the command line starts without loading any heavy module."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.lmms import REPO

HEAVY = ("lmms_eval", "datasets", "torch", "transformers", "httpx", "matplotlib", "numpy", "PIL", "pandas")
# The core may use numpy (bootstrap) and Pillow (image decoding); none of the hosts, the network or plots.
FORBIDDEN_IN_CORE = ("lmms_eval", "datasets", "torch", "transformers", "httpx", "matplotlib", "pandas")
CORE = [
    "vscbench_task.dataset.metadata",
    "vscbench_task.dataset.items",
    "vscbench_task.dataset.datadir",
    "vscbench_task.dataset.archive",
    "vscbench_task.dataset.images",
    "vscbench_task.dataset.prepare",
    "vscbench_task.scoring.records",
    "vscbench_task.scoring.judgements",
    "vscbench_task.scoring.keyword_judge",
    "vscbench_task.scoring.metric_specs",
    "vscbench_task.scoring.score",
    "vscbench_task.scoring.bootstrap",
    "vscbench_task.scoring.paired",
    "vscbench_task.scoring.agreement",
    "vscbench_task.judges",
]


def loaded_after(code: str) -> set[str]:
    """Top-level modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys, json; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_core_imports_no_host_network_or_plotting_library() -> None:
    loaded = loaded_after("\n".join(f"import {module}" for module in CORE))
    assert not loaded & set(FORBIDDEN_IN_CORE), sorted(loaded & set(FORBIDDEN_IN_CORE))


@pytest.mark.parametrize("argv", [["tasks-dir"], ["--help"], ["rescore", "--help"], ["report", "--help"]])
def test_the_command_line_loads_nothing_heavy(argv: list[str]) -> None:
    code = f"import sys\nfrom vscbench_task.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    loaded = loaded_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_judge_is_chosen_without_loading_the_network_stack_unless_it_is_the_llm_judge() -> None:
    assert "httpx" not in loaded_after("from vscbench_task.judges import make_judge\nmake_judge('keyword')")
