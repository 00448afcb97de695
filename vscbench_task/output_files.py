"""Writing the project's own output files: strict JSON, each file whole or not at all, checked first.

* **Strict JSON**: ``NaN`` and infinities (a share over no items) are written as ``null``, so every JSON
  parser reads the files (Python's ``json`` would write a bare ``NaN``, which strict parsers refuse).
* **Whole or not at all**: a file is written beside its target and renamed over it; a set of files
  (a report) is staged in a hidden folder first and moved into place only once every file is written,
  so a failure midway leaves the previous files, not a half-written set.
* **Checked first**: a command checks that its outputs can be written before it does any paid or long
  work (an output path under a file, a folder where a file is meant).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vscbench_task.errors import VSCBenchError


class OutputUnwritable(VSCBenchError):
    """An output path that cannot be written."""


def strict(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (recursively)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def json_text(value: Any) -> str:
    """Indented strict JSON, non-ASCII kept as is."""
    return json.dumps(strict(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_json(path: Path, value: Any) -> Path:
    return write_text(path, json_text(value))


def check_file_target(path: Path, what: str) -> None:
    """Refuse, before any work, a file output that cannot be written: a folder there, a file above it."""
    if path.is_dir():
        raise OutputUnwritable(f"{what} {path} is a folder; give a file name")
    _check_parents(path.parent, what, path)


def check_folder_target(path: Path, what: str) -> None:
    """Refuse, before any work, a folder output that cannot be made: a file there, or above it."""
    if path.exists() and not path.is_dir():
        raise OutputUnwritable(f"{what} {path} is a file, not a folder; give a folder to write into")
    _check_parents(path, what, path)


def _check_parents(folder: Path, what: str, target: Path) -> None:
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise OutputUnwritable(f"{what} {target} cannot be written: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputUnwritable(f"{what} {target} cannot be written: no permission to write in {parent}")
            return


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A hidden folder beside ``out`` to write a set of files into; on success each is moved into ``out``
    (replacing files of the same name), on failure none is and the staging folder is removed."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield staging
        for item in sorted(staging.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
