"""The prepared images as a host's tasks read them: checked, once per run, and stopping the run on a fault.

The lmms-eval and lm-evaluation-harness hooks both need, for every doc, the checked bytes of its image
(``datadir.read_checked``: the manifest's size and sha256) from the data directory the run uses, and
must stop the whole run, naming the file and ``vscbench prepare``, when an image is missing or changed.
A task-loading or per-doc hook leaves as ``SystemExit``: both hosts retry or swallow ordinary exceptions
(lmms-eval retries task loading five times, then exits 0), while ``SystemExit`` stops them at once with
a non-zero status and the message.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from vscbench_task.dataset import datadir

log = logging.getLogger(__name__)


@cache
def prepared(data_dir: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The snapshot folder and manifest entries of ``data_dir``, read once per process; a synthetic
    stand-in (the demo's) is announced, since its scores mean nothing."""
    snapshot, files = datadir.prepared_files(data_dir)
    if datadir.read_manifest(data_dir)["source"].get("synthetic_standin"):
        log.warning(f"VSCBench images in {data_dir} are a SYNTHETIC STAND-IN, not the benchmark: scores mean nothing.")
    return snapshot, files


def require_prepared_or_exit() -> None:
    """Stop the run (``SystemExit`` with the instructions) unless the run's data directory is prepared."""
    try:
        prepared(datadir.resolve())
    except datadir.DataNotPreparedError as err:
        raise SystemExit(f"vscbench: {err}") from None


def checked_image(relpath: str) -> tuple[bytes, str]:
    """The checked bytes of a prepared image and its path (for messages); ``SystemExit`` naming the file
    and the fix when it is missing or changed."""
    snapshot, files = prepared(datadir.resolve())
    try:
        return datadir.read_checked(snapshot, relpath, files[relpath]), str(snapshot / relpath)
    except datadir.DataNotPreparedError as err:
        raise SystemExit(f"vscbench: {err}") from None
