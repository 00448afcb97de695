"""``vscbench prepare`` and ``vscbench verify``: from the authors' archive to a checked data directory.

Prepare copies exactly the referenced images, byte for byte, after hashing and fully decoding each
one, and records what it copied in the manifest (layout in ``datadir``). Every problem is collected
and reported together, because a user fixing a broken download wants the whole list at once.

Atomicity: files are staged in a hidden ``.staging-*`` folder inside the data directory, the folder
is renamed to a new ``snapshot-*`` name, and only then is ``manifest.json`` replaced (``os.replace``),
the single step that makes the new state current. A failure or a kill at any point before that leaves
the previous manifest and snapshot as they were. The previous snapshot is kept until the next prepare,
so an evaluation already reading it is not broken. A lock file (``.prepare.lock``, held by the OS and
released when the process dies) makes the next prepare certain that leftovers are stale, so it removes
them (only names this module generates) instead of racing a running prepare. A failed first prepare
removes the data directory it created.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import filelock
from tqdm import tqdm

from vscbench_task.dataset import datadir, images
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.archive import (
    MAX_TOTAL_BYTES,
    EntryUnreadable,
    Reader,
    SourceRejected,
    archive_name,
    locate_image_folders,
    open_source,
    read_regular_file,
)
from vscbench_task.errors import VSCBenchError

# Pillow and hashlib release the GIL while decoding and hashing, so two threads (this machine's cores)
# prepare ~1.8x faster than one: see docs/benchmarks/prepare.md.
DEFAULT_WORKERS = 2
LOCK_FILE = ".prepare.lock"
STAGING_PREFIX = ".staging-"
MANIFEST_TMP_PREFIX = ".manifest-"
SNAPSHOT_PREFIX = "snapshot-"
# Exactly the names this module generates: a user's own `snapshot-...` folder in the data dir is never touched.
GENERATED_NAME = re.compile(r"\.staging-[0-9a-f]{12}|\.manifest-[0-9a-f]{12}\.tmp|snapshot-\d{8}T\d{6}Z-[0-9a-f]{6}")

T = TypeVar("T")
R = TypeVar("R")


class PrepareError(VSCBenchError):
    """Prepare could not produce a data directory; ``problems`` lists every reason found."""

    def __init__(self, what: str, problems: list[str], fix: str = "") -> None:
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        listing = "".join(f"\n  - {p}" for p in problems)
        super().__init__(f"{what} ({count}):{listing}" + (f"\n{fix}" if fix else ""))
        self.problems = problems


def inspect(name: str, data: bytes) -> dict[str, Any]:
    """The manifest entry of one image file; raises ``images.ImageRejected`` if it does not fully decode."""
    with images.decode(io.BytesIO(data), name=name) as image:
        images.check_payload(data, image, name=name)
        width, height = image.size
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "width": width, "height": height}


def prepare(
    source: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None, *, workers: int = DEFAULT_WORKERS
) -> dict[str, Any]:
    """Check the archive or folder ``source`` and commit its referenced images to ``data_dir``.

    Returns the new manifest; raises ``PrepareError`` (nothing changed in ``data_dir``) on any problem.
    """
    root = datadir.resolve(data_dir)
    what = f"cannot prepare VSCBench images from {source}"
    try:
        with open_source(source, skip=root) as reader:
            names = reader.names()
            folders = locate_image_folders(names)
            present = set(names)
            referenced = [name for f in md.referenced_files() if (name := archive_name(f, folders)) in present]
            if (declared := reader.declared_bytes(referenced)) > MAX_TOTAL_BYTES:
                problem = (
                    f"the referenced images declare {declared:,} bytes, over the {MAX_TOTAL_BYTES:,}-byte limit for "
                    "the whole benchmark: a broken archive or a decompression bomb"
                )
                raise SourceRejected([problem])
            origin = {
                "path": str(Path(source).expanduser().resolve()),
                "kind": reader.kind,
                "synthetic_standin": any(n.rsplit("/", 1)[-1] == datadir.STANDIN_MARKER for n in names),
            }
            return _prepare_into(root, reader, present, folders, origin, workers, what)
    except SourceRejected as err:
        raise PrepareError(what, err.problems) from None
    except OSError as err:
        raise PrepareError(what, [f"writing to the data directory {root} failed: {err}"]) from err


def verify(data_dir: str | os.PathLike[str] | None = None, *, workers: int = DEFAULT_WORKERS) -> list[str]:
    """Every problem of a prepared data directory: unlisted, missing, modified or undecodable files."""
    root = datadir.resolve(data_dir)
    try:
        manifest = datadir.read_manifest(root)
    except datadir.DataNotPreparedError as err:
        return [str(err)]
    listed = manifest["files"]
    snapshot = root / manifest["snapshot"]
    if not snapshot.is_dir():
        return [f"the snapshot folder {snapshot} named by the manifest is missing: run `vscbench prepare` again"]
    problems = [f"{f}: not listed in the manifest" for f in md.referenced_files() if f not in listed]

    def check(relpath: str) -> str | None:
        try:
            facts = inspect(relpath, read_regular_file(snapshot / relpath, label=relpath))
        except (EntryUnreadable, images.ImageRejected) as err:
            return str(err)
        changed = [key for key, value in facts.items() if listed[relpath].get(key) != value]
        return f"{relpath}: {', '.join(changed)} differ from the manifest (modified after prepare)" if changed else None

    checked = [f for f in md.referenced_files() if f in listed]
    problems += [p for p in _map_with_progress(check, checked, workers, "verify") if p]
    return problems


def _prepare_into(
    root: Path,
    reader: Reader,
    present: set[str],
    folders: dict[str, str],
    origin: dict[str, Any],
    workers: int,
    what: str,
) -> dict[str, Any]:
    fresh = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(root / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise PrepareError(what, [f"another `vscbench prepare` is writing to {root}: wait for it to end"]) from None
    try:
        previous = _current_snapshot(root)
        _remove_leftovers(root, keep=previous)
        staging = root / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
        staging.mkdir()  # not mkdtemp: its 0700 mode would make the snapshot private, whatever the umask
        try:
            files, problems = _stage(reader, present, folders, staging, workers)
            if problems:
                raise PrepareError(what, problems)
            manifest = _manifest(files, origin)
            _commit(root, staging, manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already after a commit (renamed)
        # The previous snapshot stays until the next prepare: an evaluation already running keeps reading it.
    except BaseException:
        lock.release()
        if fresh:  # a failed first prepare leaves no trace, not even the lock file or the folder
            (root / LOCK_FILE).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                root.rmdir()
        raise
    lock.release()
    return manifest


def _stage(
    reader: Reader, present: set[str], folders: dict[str, str], staging: Path, workers: int
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Read, check and write every referenced file into ``staging``; return manifest entries and problems.

    Missing files are problems like corrupt ones, so one run reports both kinds, every file by name.
    """
    relpaths = md.referenced_files()
    for folder in sorted({(staging / f).parent for f in relpaths}):
        folder.mkdir(parents=True, exist_ok=True)

    def copy(relpath: str) -> dict[str, Any] | str:
        name = archive_name(relpath, folders)
        if name not in present:
            return f"{name}: missing"
        try:
            data = reader.read(name)
            facts = inspect(name, data)
        except (EntryUnreadable, images.ImageRejected) as err:
            return str(err)
        (staging / relpath).write_bytes(data)
        return facts

    files: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for relpath, outcome in zip(relpaths, _map_with_progress(copy, relpaths, workers, "prepare"), strict=True):
        if isinstance(outcome, str):
            problems.append(outcome)
        else:
            files[relpath] = outcome
    return files, problems


def _manifest(files: dict[str, dict[str, Any]], origin: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    return {
        "format": datadir.MANIFEST_FORMAT,
        "snapshot": f"{SNAPSHOT_PREFIX}{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        "created": now.isoformat(timespec="seconds"),
        "source": origin,
        "counts": {
            "files": len(files),
            "bytes": sum(entry["bytes"] for entry in files.values()),
            "image_centric": sum(f.startswith(f"{md.IMAGE_DIR}/") for f in files),
            "text_centric": sum(f.startswith(f"{md.TEXT_DIR}/") for f in files),
        },
        "files": files,
    }


def _commit(root: Path, staging: Path, manifest: dict[str, Any]) -> None:
    """Rename the staged folder to its snapshot name, then replace the manifest: the commit point."""
    snapshot = root / manifest["snapshot"]
    # The manifest must never name a file a power cut could leave empty. One system-wide sync costs
    # ~0.1 s where an fsync per file cost ~12 s here; Windows has no os.sync (durability is best effort).
    if hasattr(os, "sync"):
        os.sync()
    os.rename(staging, snapshot)
    temp = root / f"{MANIFEST_TMP_PREFIX}{secrets.token_hex(6)}.tmp"
    try:
        with open(temp, "x", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, root / datadir.MANIFEST)
    except BaseException:
        temp.unlink(missing_ok=True)
        shutil.rmtree(snapshot, ignore_errors=True)
        raise
    if os.name == "posix":  # make the rename and replace durable; directories cannot be opened on Windows
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _current_snapshot(root: Path) -> str | None:
    """The snapshot folder the current manifest names, if there is a usable manifest."""
    try:
        return datadir.read_manifest(root)["snapshot"]
    except datadir.DataNotPreparedError:
        return None


def _remove_leftovers(root: Path, *, keep: str | None) -> None:
    """Remove what earlier runs left: staging folders, manifest temp files, snapshots other than ``keep``.

    Only called under the lock, so nothing of these generated names can belong to a running prepare.
    """
    for entry in root.iterdir():
        if entry.name == keep or not GENERATED_NAME.fullmatch(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _map_with_progress(fn: Callable[[T], R], items: Sequence[T], workers: int, desc: str) -> list[R]:
    """``fn`` over ``items`` on a thread pool, in order, with a progress bar; on an error or Ctrl-C the
    queued items are cancelled instead of run."""
    executor = ThreadPoolExecutor(max_workers=workers)
    try:
        return list(tqdm(executor.map(fn, items), total=len(items), desc=desc, unit="file"))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def summary(manifest: dict[str, Any], root: Path) -> str:
    """What ``vscbench prepare`` prints on success: what it did, then what to export for lmms-eval."""
    counts = manifest["counts"]
    if root == datadir.default_data_dir():
        where = "This is the default data directory: lmms-eval finds it with nothing to set."
    else:
        where = f"Before running lmms-eval:\n    export {datadir.ENV_VAR}={root}"
    standin = (
        f"\nNOTE: the source carries {datadir.STANDIN_MARKER}: these are SYNTHETIC STAND-IN images, not the benchmark."
        if manifest["source"].get("synthetic_standin")
        else ""
    )
    return (
        f"Prepared {counts['files']:,} images ({counts['image_centric']:,} image-centric, "
        f"{counts['text_centric']:,} text-centric), {counts['bytes'] / 1e6:,.1f} MB, checked and hashed, in {root} "
        f"(snapshot {manifest['snapshot']}).{standin}\n{where}"
    )
