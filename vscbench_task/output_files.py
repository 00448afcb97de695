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
import stat
import tempfile
from collections.abc import Collection, Iterator, Sequence
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
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_json(path: Path, value: Any) -> Path:
    return write_text(path, json_text(value))


def check_file_target(path: Path, what: str, inputs: Sequence[Path] = (), input_folders: Sequence[Path] = ()) -> None:
    """Refuse, before any work, a file output that cannot or must not be written: a folder there, a file
    above it, a special file or a link to one, one of ``inputs`` (files the command reads) or anything
    in ``input_folders`` (the data directory's snapshots)."""
    _check_special(path, what)
    if path.is_dir():
        raise OutputUnwritable(f"{what} {path} is a folder; give a file name")
    _check_inputs(path, what, inputs, input_folders)
    _check_parents(path.parent, what, path)


def check_folder_target(path: Path, what: str, input_folders: Sequence[Path] = ()) -> None:
    """Refuse, before any work, a folder output that cannot be made: a file there, or above it, or one in
    ``input_folders``."""
    if path.exists() and not path.is_dir():
        raise OutputUnwritable(f"{what} {path} is a file, not a folder; give a folder to write into")
    _check_inputs(path, what, (), input_folders)
    _check_parents(path, what, path)


def check_files_in(
    folder: Path, names: Collection[str], what: str, inputs: Sequence[Path] = (), input_folders: Sequence[Path] = ()
) -> None:
    """``check_folder_target`` for ``folder`` and ``check_file_target`` for each of ``names`` in it."""
    check_folder_target(folder, what, input_folders)
    for name in sorted(names):
        check_file_target(folder / name, what, inputs, input_folders)


# Pseudo-filesystems: nothing in them is a file a command should replace (``/dev/stdout`` is a link to
# ``/proc/self/fd/1``, which is whatever the process's output is: a terminal, a pipe, a file). Devices
# elsewhere (``/dev/null``) are told by their mode; ``/dev/shm`` holds regular files.
_PSEUDO = ("/proc/", "/sys/")


def _link_targets(path: Path) -> list[str]:
    """Where each link on the way from ``path`` points, in order (empty for a path that is no link)."""
    targets, here = [], str(path.absolute())
    for _ in range(40):  # the kernel's own limit on links followed
        try:
            target = os.readlink(here)
        except OSError:
            break
        here = os.path.normpath(os.path.join(os.path.dirname(here), target))
        targets.append(here)
    return targets


def _check_special(path: Path, what: str) -> None:
    """Refuse a special file (a device, a pipe, a socket) or a link to one, or to anything in a
    pseudo-filesystem: a write would replace the link with a regular file, or never end."""
    targets = _link_targets(path)
    try:
        mode = path.stat().st_mode  # follows links: a link to a device is a device
    except OSError:
        mode = None  # nothing there, or a dangling link (which a write replaces)
    special = mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
    places = [*targets, os.path.realpath(path.parent) + os.sep]
    if special or any(place.startswith(_PSEUDO) for place in places):
        shown = f"{path} (a link to {targets[0]})" if targets else str(path)
        raise OutputUnwritable(
            f"{what} {shown} is not a regular file (a device, a pipe, a socket, or a link to one): writing there "
            "would replace it or never end; give a file name"
        )


def _check_inputs(path: Path, what: str, inputs: Sequence[Path], input_folders: Sequence[Path]) -> None:
    target = path.resolve()
    held = [(read, target == read.resolve()) for read in inputs]
    held += [(folder, target == folder.resolve() or folder.resolve() in target.parents) for folder in input_folders]
    for read, hit in held:
        if hit:
            kind = "is" if target == read.resolve() else f"is inside {read}, which is"
            raise OutputUnwritable(
                f"{what} {path} {kind} one of the inputs this command reads (a file of the run, or the data "
                "directory with its manifest and images): writing it would destroy them; give another path"
            )


def _check_parents(folder: Path, what: str, target: Path) -> None:
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise OutputUnwritable(f"{what} {target} cannot be written: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputUnwritable(f"{what} {target} cannot be written: no permission to write in {parent}")
            return


@contextmanager
def staged_folder(out: Path, owned: Collection[str] = ()) -> Iterator[Path]:
    """A hidden folder beside ``out`` to write a set of files into; on success each is moved into ``out``
    (replacing files of the same name) and each of ``owned`` (the names the set can hold) not written this
    time is removed from ``out``, so the set is replaced as a whole; on failure nothing is moved and the
    staging folder is removed."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield staging
        written = {item.name for item in staging.iterdir()}
        for item in sorted(staging.iterdir()):
            os.replace(item, out / item.name)
        for name in sorted(set(owned) - written):
            stale = out / name
            if stale.is_file() or stale.is_symlink():
                stale.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
