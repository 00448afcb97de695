"""Downloading the five XSTest v2 completion files at the pinned commit, checked before they are kept.

The completions are under their model providers' terms, so the package does not ship them; a user with
internet gets them from the authors' repository at the pinned commit. Every file is read with a size
cap and its sha256 compared with the pinned one; only when all five match are they moved, together, to
``<data dir>/gold/xstest-<commit>/``. A file that does not match is refused with nothing kept, so a
corrupted or altered download can never be used, and a later run downloads again.

The download is bounded in time as a whole (``DEADLINE_S`` for all five files, plus at most one read's
``TIMEOUT_S``), not only per socket read: a server sending a byte every few seconds never trips a
per-read timeout, so each read takes what has arrived (``read1``) and the deadline is checked between
reads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from vscbench_task.dataset import datadir
from vscbench_task.validation.gold import (
    MAX_FILE_BYTES,
    XSTEST_COMMIT,
    XSTEST_FILES,
    XSTEST_FOLDER,
    XSTEST_REPO,
    GoldSetError,
)

BASE_URL = "https://raw.githubusercontent.com"
BASE_URL_ENV = "VSCBENCH_XSTEST_BASE_URL"  # another mirror of raw.githubusercontent.com (tests use a loopback one)
TIMEOUT_S = 30  # per connect or read, at most
DEADLINE_S = 300  # for the whole download (2.5 MB in all)


def cached_folder(data_dir: Path | None = None) -> Path:
    """Where the downloaded files are kept."""
    return datadir.resolve(data_dir) / "gold" / f"xstest-{XSTEST_COMMIT[:12]}"


def url(file: str, base: str | None = None) -> str:
    base = (base or os.environ.get(BASE_URL_ENV) or BASE_URL).rstrip("/")
    return f"{base}/{XSTEST_REPO}/{XSTEST_COMMIT}/{XSTEST_FOLDER}/{file}"


def _fetch(address: str, deadline: float) -> bytes:
    """The file at ``address``, read to at most ``MAX_FILE_BYTES`` + 1 bytes before ``deadline`` (a
    ``time.monotonic`` value)."""
    chunks: list[bytes] = []
    size = 0
    try:
        with urllib.request.urlopen(address, timeout=_left(deadline, address)) as reply:
            while size <= MAX_FILE_BYTES:
                _left(deadline, address)  # checked between reads: no file outlasts the deadline by more than one
                chunk = reply.read1(MAX_FILE_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise GoldSetError(
            f"downloading {address} failed ({err}); without internet, clone https://github.com/{XSTEST_REPO} "
            "elsewhere and pass it with --xstest-dir"
        ) from None
    if size > MAX_FILE_BYTES:
        raise GoldSetError(f"{address} is larger than {MAX_FILE_BYTES:,} bytes: not an XSTest completion file")
    return b"".join(chunks)


def _left(deadline: float, address: str) -> float:
    """Seconds left before ``deadline`` for one wait (at most ``TIMEOUT_S``); ``GoldSetError`` past it."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise GoldSetError(
            f"downloading the XSTest files took longer than {DEADLINE_S} s (at {address}): the server is too slow; "
            f"retry later, or clone https://github.com/{XSTEST_REPO} elsewhere and pass it with --xstest-dir"
        )
    return min(left, TIMEOUT_S)


def ensure_downloaded(data_dir: Path | None = None, *, base: str | None = None) -> Path:
    """The folder holding the five checked files, downloading them first if they are not there yet."""
    target = cached_folder(data_dir)
    if all((target / file).is_file() for file, _ in XSTEST_FILES.values()):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".xstest-", dir=target.parent))
    deadline = time.monotonic() + DEADLINE_S
    try:
        for file, sha in XSTEST_FILES.values():
            address = url(file, base)
            data = _fetch(address, deadline)
            digest = hashlib.sha256(data).hexdigest()
            if digest != sha:
                raise GoldSetError(
                    f"{address}: sha256 {digest} is not the pinned {sha}; the download is corrupted or not the "
                    f"published file, so nothing was kept (retry, or pass a clone of {XSTEST_REPO} as --xstest-dir)"
                )
            (staging / file).write_bytes(data)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
