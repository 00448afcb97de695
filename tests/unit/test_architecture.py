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
FORBIDDEN_IN_CORE = (
    "lmms_eval", "lm_eval", "inspect_ai", "datasets", "torch", "transformers", "httpx", "matplotlib", "pandas"
)  # fmt: skip
CORE = [
    "vscbench_task.dataset.metadata",
    "vscbench_task.dataset.items",
    "vscbench_task.dataset.generation",
    "vscbench_task.dataset.datadir",
    "vscbench_task.dataset.archive",
    "vscbench_task.dataset.images",
    "vscbench_task.dataset.prepare",
    "vscbench_task.scoring.records",
    "vscbench_task.judges.base",
    "vscbench_task.judges.keyword",
    "vscbench_task.scoring.metric_specs",
    "vscbench_task.scoring.score",
    "vscbench_task.scoring.bootstrap",
    "vscbench_task.scoring.paired",
    "vscbench_task.scoring.agreement",
    "vscbench_task.hosts.per_doc",
    "vscbench_task.judges",
    "vscbench_task.hosts.run",
    "vscbench_task.hosts.responses_file.reader",
]
# Each host's glue, and the packages of the other hosts' glue it must not import (imports point down only).
HOST_GLUE = {
    "lmms": [
        "vscbench_task.hosts.lmms_eval.hooks",
        "vscbench_task.hosts.lmms_eval.judge_hooks",
        "vscbench_task.hosts.lmms_eval.outputs",
    ],
    "lm_harness": ["vscbench_task.hosts.lm_eval.hooks", "vscbench_task.hosts.lm_eval.outputs"],
    "inspect_tasks": ["vscbench_task.hosts.inspect_ai.registry", "vscbench_task.hosts.inspect_ai.logs"],
}


def loaded_after(code: str, *, full: bool = False) -> set[str]:
    """Top-level modules (``full``: all modules) in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    names = "sys.modules" if full else "{m.split('.')[0] for m in sys.modules}"
    probe = f"{code}\nimport sys, json; print(json.dumps(sorted({names})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_core_imports_no_host_network_or_plotting_library() -> None:
    loaded = loaded_after("\n".join(f"import {module}" for module in CORE))
    assert not loaded & set(FORBIDDEN_IN_CORE), sorted(loaded & set(FORBIDDEN_IN_CORE))


@pytest.mark.parametrize("host", sorted(HOST_GLUE))
def test_a_hosts_glue_imports_no_other_hosts_glue(host: str) -> None:
    loaded = loaded_after("\n".join(f"import {module}" for module in HOST_GLUE[host]), full=True)
    others = [f"vscbench_task.{other}" for other in HOST_GLUE if other != host]
    assert not [m for m in loaded if m.startswith(tuple(others))], sorted(
        m for m in loaded if m.startswith(tuple(others))
    )


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
