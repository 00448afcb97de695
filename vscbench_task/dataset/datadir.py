"""Where the prepared images live, and the check every task runs before any model does.

Layout of a data directory (``vscbench prepare`` writes it, ``vscbench verify`` re-checks it)::

    <data_dir>/manifest.json              the commit record, replaced atomically, written last
    <data_dir>/<snapshot>/vscbench_image_centric_images/<Category>/<file>
    <data_dir>/<snapshot>/vscbench_text_centric_images/<variant>/<file>
    <data_dir>/.prepare.lock              held by a running prepare (the OS releases it if the process dies)
    <data_dir>/.staging-*/                a prepare in progress, or killed (the next prepare removes it)

The manifest names the snapshot folder, so switching from one prepared state to the next is the
single atomic replacement of ``manifest.json``: readers see the old complete state or the new one. The
previous snapshot is removed only by the prepare after next, so a run that started on it can finish.

The directory is ``--data-dir`` where a command takes it, else ``$VSCBENCH_DATA_DIR``, else
``$XDG_CACHE_HOME/vscbench`` (``~/.cache/vscbench``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from vscbench_task.dataset import metadata as md
from vscbench_task.errors import VSCBenchError

ENV_VAR = "VSCBENCH_DATA_DIR"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
# A file of this name beside the image folders marks a synthetic stand-in archive (tests, demo);
# prepare records it in the manifest so results from such data are flagged, never taken for real.
STANDIN_MARKER = "STAND-IN.txt"


class DataNotPreparedError(VSCBenchError):
    """The images are missing or incomplete; the message says how to prepare them."""


def default_data_dir() -> Path:
    """``$VSCBENCH_DATA_DIR``, else the user's cache dir (absolute either way)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser().absolute()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return (Path(cache) / "vscbench").expanduser().absolute()


def resolve(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory to use: the given one, else the default; absolute, so what is printed or
    exported (``VSCBENCH_DATA_DIR=...``) works from any working directory."""
    return Path(data_dir).expanduser().absolute() if data_dir else default_data_dir()


def read_manifest(data_dir: Path) -> dict[str, Any]:
    """The manifest of a data directory; raises ``DataNotPreparedError`` if it is absent or unreadable."""
    path = data_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataNotPreparedError(_how_to_prepare(data_dir, f"no prepared VSCBench images at {data_dir}")) from None
    except (OSError, ValueError, RecursionError) as err:
        raise DataNotPreparedError(_how_to_prepare(data_dir, f"unreadable manifest {path}: {err}")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        problem = f"{path} has format {found!r}, expected {MANIFEST_FORMAT}"
        raise DataNotPreparedError(_how_to_prepare(data_dir, problem))
    malformed = [
        key
        for key, ok in (
            ("snapshot", is_plain_name(manifest.get("snapshot"))),
            ("files", isinstance(manifest.get("files"), dict)),
            ("source", isinstance(manifest.get("source"), dict)),
        )
        if not ok
    ]
    if malformed:
        raise DataNotPreparedError(_how_to_prepare(data_dir, f"{path} is malformed (bad {', '.join(malformed)})"))
    for name, entry in manifest["files"].items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("bytes"), int)
            and not isinstance(entry.get("bytes"), bool)
        ):
            problem = f"{path} is malformed (its entry for {name!r} is not a file record with sha256 and bytes)"
            raise DataNotPreparedError(_how_to_prepare(data_dir, problem))
    return manifest


def kept_paths(data_dir: Path) -> tuple[list[Path], list[Path]]:
    """What in a data directory no command's output may replace: its files (the manifest, the prepare
    lock) and its folders (the snapshots holding the images, a prepare's staging). Other paths in it are
    free: a user may keep reports beside the images."""
    files = [data_dir / MANIFEST, data_dir / ".prepare.lock"]
    try:
        names = sorted(os.listdir(data_dir))
    except OSError:
        names = []
    folders = [data_dir / name for name in names if name.startswith(("snapshot-", ".staging-"))]
    return files, folders


def is_plain_name(name: object) -> bool:
    """A single path component, so a hand-edited manifest cannot point outside the data directory."""
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name


def require_prepared(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder image paths are relative to, after a quick completeness check.

    Cheap enough for task load (one stat per file, no decoding): the manifest must list every
    referenced file and every file must exist. ``vscbench verify`` does the full hash check.
    """
    root = resolve(data_dir)
    manifest = read_manifest(root)
    snapshot = root / manifest["snapshot"]
    missing = [f for f in md.referenced_files() if f not in manifest["files"] or not (snapshot / f).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DataNotPreparedError(
            _how_to_prepare(root, f"{len(missing)} image files are missing from {snapshot}: {shown}")
        )
    return snapshot


def _how_to_prepare(data_dir: Path, problem: str) -> str:
    return (
        f"VSCBench images are not prepared: {problem}.\n"
        f"Download the authors' image archive from {md.DOWNLOAD_URL}, then run\n"
        f"    vscbench prepare /path/to/the/archive.zip --data-dir {data_dir}\n"
        f"(or set {ENV_VAR} to the data directory of an earlier `vscbench prepare`)."
    )


def prepared_files(data_dir: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The snapshot folder and the manifest's per-file entries, after ``require_prepared``'s check."""
    snapshot = require_prepared(data_dir)
    return snapshot, read_manifest(data_dir)["files"]


def read_checked(snapshot: Path, relpath: str, entry: dict[str, Any]) -> bytes:
    """A prepared image's bytes, after checking them against the manifest (size, then sha256).

    The model must see exactly the bytes ``prepare`` decoded and hashed: a file changed since (a flipped
    byte, a truncation, a replacement) raises ``DataNotPreparedError`` naming it, before it can reach the
    model. Hashing costs about a millisecond per megabyte, a fraction of decoding.
    """
    path = snapshot / relpath
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataNotPreparedError(_how_to_prepare(snapshot.parent, f"{path} cannot be read ({err})")) from None
    if len(data) != entry.get("bytes") or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        problem = f"{path} differs from the image `vscbench prepare` checked ({len(data):,} bytes now)"
        raise DataNotPreparedError(_how_to_prepare(snapshot.parent, problem))
    return data
