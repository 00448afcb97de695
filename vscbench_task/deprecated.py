"""Aliases of modules that moved, kept for one release so that copied dotted paths keep working.

Suite configs name hooks by dotted path (``!function vscbench_task.lmms.aggregations.aggregate_...``);
version 0.2.0 moved the hosts' glue under ``vscbench_task.hosts``. Each old module is now three lines:
``__getattr__ = moved(__name__, "<new module>")``, which warns once (``DeprecationWarning``) and then
serves every name from the new module. The aliases go in 0.3.0 (CHANGELOG.md).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

REMOVED_IN = "0.3.0"


def moved(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for the alias ``old`` of ``new``."""
    warnings.warn(f"{old} moved to {new}; the alias goes in vscbench-task {REMOVED_IN}", DeprecationWarning, 3)
    module = importlib.import_module(new)

    def getattr_(name: str) -> Any:
        return getattr(module, name)

    return getattr_
