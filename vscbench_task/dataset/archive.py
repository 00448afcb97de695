"""Reading the authors' image archive, a zip or an extracted folder, without trusting it.

The archive is a manual download, so it is checked as a whole before a single image is read: entry
names that are absolute or contain ``..``, symbolic links, duplicate names and (in a folder) special
files such as FIFOs are refused for the whole archive, every such entry named in the error. None of
them can be a benchmark image, and refusing them early means a hostile archive never causes a write.
Entries are only ever read by name into memory with a size cap, never extracted, and symbolic links
are never followed (in a folder, opening uses ``O_NOFOLLOW`` where the platform has it).

The two image folders may sit anywhere inside the archive (the parent folder's name is unknown), so
they are located from the file names; a folder found twice is ambiguous and refused too.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from vscbench_task.dataset import metadata as md

# A benchmark image is at most a few MB; a larger entry is broken or a decompression bomb. Checked on the
# declared size before reading; reads are bounded too (zipfile stops at the declared size, a file can grow).
MAX_ENTRY_BYTES = 64 * 1024 * 1024
# All referenced files together: the real archive holds 3,598 photos and renderings, far below this.
MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024
# Images are compressed already: a zip entry inflating to more than this many times its stored size is
# a bomb, not a picture.
MAX_COMPRESSION_RATIO = 100
# macOS zip tools add ``__MACOSX/<same path>/._<file>`` resource forks (at the top, or inside the folder
# that was zipped): they would look like a second copy of each image folder, so they are left out.
MACOS_METADATA_DIR = "__MACOSX"
_ZIP_LOCAL_HEADER = 30  # bytes of a zip local file header before its name and extra field
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


class SourceRejected(ValueError):
    """The archive as a whole is unusable; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class EntryUnreadable(ValueError):
    """One file of the archive cannot be read (too large, corrupt zip data, unreadable file)."""


class _ZipReader:
    kind: Literal["zip"] = "zip"

    def __init__(self, path: Path) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError) as err:
            problem = f"{path}: not a readable zip archive ({err}); pass the .zip or its extracted folder"
            raise SourceRejected([problem]) from None
        infos = self._zip.infolist()
        problems = _zip_entry_problems(infos)
        if problems:
            self._zip.close()
            raise SourceRejected(problems)
        # Names as posix paths: a zip written on Windows may separate folders with backslashes.
        self._infos = {info.filename.replace("\\", "/"): info for info in infos if not info.is_dir()}
        # ZipFile.open counts open members without a lock, so concurrent opens can corrupt the count and
        # close the archive under a reader. Reading (and inflating) is cheap next to decoding: serialise it.
        self._read_lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self._infos)

    def declared_bytes(self, names: list[str]) -> int:
        """The uncompressed size the archive declares for ``names``."""
        return sum(self._infos[name].file_size for name in names)

    def read(self, name: str) -> bytes:
        info = self._infos[name]
        if info.file_size > MAX_ENTRY_BYTES:
            raise EntryUnreadable(_too_large(name, info.file_size))
        if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise EntryUnreadable(
                f"{name}: inflates {info.file_size / max(info.compress_size, 1):,.0f} times its stored size, more "
                f"than any image would ({MAX_COMPRESSION_RATIO}x): a decompression bomb"
            )
        try:
            with self._read_lock, self._zip.open(info) as fh:
                data = fh.read(MAX_ENTRY_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError) as err:
            raise EntryUnreadable(f"{name}: cannot be read from the zip ({err})") from None
        return data

    def close(self) -> None:
        self._zip.close()


class _FolderReader:
    kind: Literal["folder"] = "folder"

    def __init__(self, path: Path, skip: Path | None) -> None:
        self._root = path
        files, problems = _scan_folder(path, skip)
        if problems:
            raise SourceRejected(problems)
        self._files = files

    def names(self) -> list[str]:
        return self._files

    def declared_bytes(self, names: list[str]) -> int:
        """The size of the files ``names`` on disk (a folder declares nothing else)."""
        return sum((self._root / name).stat().st_size for name in names)

    def read(self, name: str) -> bytes:
        return read_regular_file(self._root / name, label=name)

    def close(self) -> None:
        """Nothing to release: each read opens and closes its own file."""


Reader = _ZipReader | _FolderReader


@contextmanager
def open_source(path: str | os.PathLike[str], *, skip: Path | None = None) -> Iterator[Reader]:
    """Open and vet a zip or folder; raises ``SourceRejected`` listing every hostile entry.

    ``skip`` is a folder left out of a folder source: the data directory, when a user keeps it inside the
    extracted archive, would otherwise look like a second copy of the image folders.
    """
    source = Path(path).expanduser()
    if source.is_dir():
        reader: Reader = _FolderReader(source.resolve(), skip.resolve() if skip else None)
    elif source.is_file():
        reader = _ZipReader(source)
    else:
        raise SourceRejected([f"{source}: no such file or folder; pass the authors' .zip or its extracted folder"])
    try:
        yield reader
    finally:
        reader.close()


def locate_image_folders(names: list[str]) -> dict[str, str]:
    """Map each official image folder name to its path inside the archive; ``SourceRejected`` unless both
    occur exactly once. A folder counts where it first appears in a file's path (so a same-named folder
    nested inside it is just content)."""
    found: dict[str, set[str]] = {md.IMAGE_DIR: set(), md.TEXT_DIR: set()}
    for name in names:
        parts = name.split("/")
        if MACOS_METADATA_DIR in parts[:-1] or parts[-1].startswith("._"):
            continue
        for folder, places in found.items():
            if folder in parts[:-1]:
                places.add("/".join(parts[: parts.index(folder) + 1]))
    problems = []
    for folder, places in found.items():
        if not places:
            problems.append(
                f"no folder {folder}/ with files in it; the authors' archive ({md.DOWNLOAD_URL}) holds "
                f"{md.IMAGE_DIR}/ and {md.TEXT_DIR}/ — is this that archive?"
            )
        elif len(places) > 1:
            problems.append(
                f"folder {folder}/ found {len(places)} times ({', '.join(sorted(places))}); "
                "it is ambiguous which copy to use: keep one and retry"
            )
    if problems:
        raise SourceRejected(problems)
    return {folder: places.pop() for folder, places in found.items()}


def archive_name(relpath: str, folders: dict[str, str]) -> str:
    """The archive name of a referenced file (``metadata.referenced_files`` form)."""
    top, rest = relpath.split("/", 1)
    return f"{folders[top]}/{rest}"


def read_regular_file(path: Path, *, label: str) -> bytes:
    """Read a regular file, refusing symbolic links, special files and files over ``MAX_ENTRY_BYTES``.

    Shared by the folder source and ``vscbench verify``: both read files someone else may have planted.
    ``O_NONBLOCK`` keeps a FIFO from blocking the open; the ``fstat`` then refuses it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise EntryUnreadable(f"{label}: missing") from None
    except OSError as err:  # ELOOP: the last component is a symbolic link
        raise EntryUnreadable(f"{label}: cannot be opened ({err}); symbolic links are not followed") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EntryUnreadable(f"{label}: not a regular file")
        if info.st_size > MAX_ENTRY_BYTES:
            raise EntryUnreadable(_too_large(label, info.st_size))
        try:
            data = fh.read(MAX_ENTRY_BYTES + 1)
        except OSError as err:
            raise EntryUnreadable(f"{label}: cannot be read ({err})") from None
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryUnreadable(_too_large(label, len(data)))
    return data


def _zip_entry_problems(infos: list[zipfile.ZipInfo]) -> list[str]:
    problems = []
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or _DRIVE_LETTER.match(name):
            problems.append(f"zip entry {name!r} has an absolute path; refusing the whole archive")
        if ".." in parts:
            problems.append(f"zip entry {name!r} has a '..' component (it points outside the archive); refusing it")
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(
                f"zip entry {name!r} is a symbolic link; links are never followed, the archive must hold the files"
            )
    for name, count in Counter(info.filename.replace("\\", "/") for info in infos).items():
        if count > 1:
            problems.append(f"zip entry {name!r} occurs {count} times; it is ambiguous which copy to use")
    problems += _overlapping_entries(infos)
    return problems


def _overlapping_entries(infos: list[zipfile.ZipInfo]) -> list[str]:
    """Entries whose stored data overlaps another entry's: the trick of zip bombs that make one
    compressed block inflate many times (every entry reads the same bytes)."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    found = []
    for first, second in itertools.pairwise(ordered):
        # The local extra field is left out (it may differ from the central one): this end can only be too
        # early, never too late, so honest archives never overlap while a bomb's shared block still does.
        end = first.header_offset + _ZIP_LOCAL_HEADER + len(first.orig_filename.encode("utf-8", "replace"))
        end += first.compress_size
        if second.header_offset < end:
            found.append(f"zip entries {first.filename!r} and {second.filename!r} overlap (a zip bomb); refusing it")
            if len(found) >= 5:
                break
    return found


def _scan_folder(root: Path, skip: Path | None) -> tuple[list[str], list[str]]:
    """Every regular file under ``root`` as a relative posix name, plus every symlink or special file found.

    Symbolic links anywhere in the source are refused (not just ignored) so that what is prepared is
    exactly what is in the folder; they are never followed.
    """
    files: list[str] = []
    problems: list[str] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            problems.append(f"cannot list folder {folder}: {err}")
            continue
        for entry in entries:
            rel = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink():
                problems.append(
                    f"{rel} is a symbolic link (to {os.readlink(entry.path)}); links are never followed: "
                    "replace it by the file or folder itself"
                )
            elif entry.is_dir(follow_symlinks=False):
                if Path(entry.path) != skip:
                    pending.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                files.append(rel)
            else:
                problems.append(f"{rel} is not a regular file or folder (a FIFO, socket or device)")
    return sorted(files), sorted(problems)


def _too_large(name: str, size: int) -> str:
    return f"{name}: {size:,} bytes, over the {MAX_ENTRY_BYTES:,}-byte limit for one image (broken or a zip bomb)"
