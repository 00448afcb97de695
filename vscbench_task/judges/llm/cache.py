"""Persistent cache of judge replies, so no (model, prompt, query, response) is ever paid for twice.

One SQLite file in WAL mode: several processes (ranks, a rescore beside a run) can read and write it at
once, writers waiting on each other through the busy timeout (``LOCK_WAIT_S``). A write that still fails
(another process holds the file past the wait, a read-only folder) never costs a run the reply it paid
for: ``put`` records the problem once (``unwritable``, naming the file and what to check), skips the
writes after it, and the caller keeps its verdicts and reports the problem. The busy timeout does not cover the
switch to WAL on a fresh file (two processes doing it together fail with "database is locked"), so
that set-up runs under a lock file beside the cache (``<cache>.lock``). Every verdict is committed the moment it
arrives, so a killed run loses at most the calls in flight and a rerun resumes. What counts as a verdict
(and so is stored, and served when read) is the judge's call (``judge.is_verdict``); failed calls are
never stored, so a rerun retries exactly those.

The key hashes the judge model, its endpoint (the URL without credentials or query: the same model name
on a stub or a local server is another judge), the prompt version (a hash of the template), the query
and the response the judge saw, and, when it is not the official one, the request (temperature, token
limit, reasoning effort: verdicts obtained with two request settings never mix, while the official
request keeps the key every earlier version wrote, so no cache is paid for again). A row keeps the raw
reply, both readings of it, the official boolean, a timestamp, and the model the server said it served
with its ``system_fingerprint`` (empty in rows written before they were kept), for auditing with any
SQLite client; scoring re-reads the class from the raw reply, so a change to a parser never leaves stale
classes behind.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock

from vscbench_task.errors import VSCBenchError

# "replies", not the first format's "judgements": its keys did not name the endpoint, so its rows are
# never read again (a file holding both keeps the old table untouched).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    reply TEXT NOT NULL,
    official_class TEXT,
    strict_class TEXT,
    recognised INTEGER NOT NULL,
    created REAL NOT NULL,
    served_model TEXT,
    system_fingerprint TEXT
)
"""
# Columns added since the table was first written: a file of an earlier version gains them when opened.
_ADDED = {"served_model": "TEXT", "system_fingerprint": "TEXT"}
_COLUMNS = (
    "key", "model", "endpoint", "prompt_version", "reply", "official_class", "strict_class", "recognised", "created",
    "served_model", "system_fingerprint",
)  # fmt: skip
_CHUNK = 500  # keys per SELECT, well under SQLite's bound-variable limit
LOCK_WAIT_S = 60.0  # how long a write waits for another process's lock before it is given up


def cache_key(
    model: str, endpoint: str, prompt_version: str, query: str, response: str, request: dict[str, Any] | None = None
) -> str:
    """Stable identity of one judge call (``endpoint`` without secrets: ``JudgeSettings.endpoint``);
    ``request`` is given only when it is not the official one, so the official request keeps the key
    earlier versions wrote."""
    fields: list[Any] = [model, endpoint, prompt_version, query, response]
    if request is not None:
        fields.append(request)
    identity = json.dumps(fields, ensure_ascii=True, sort_keys=True)
    return hashlib.sha256(identity.encode("ascii")).hexdigest()


class CacheUnusable(VSCBenchError):
    """The cache file cannot be opened or read (not an SQLite file, no permission)."""


class JudgeCache:
    """The cache file at ``path`` (created with its folder if absent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit (isolation_level=None): each put is its own committed transaction.
            self._db = sqlite3.connect(path, timeout=LOCK_WAIT_S, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_S * 1000)}")
            with FileLock(
                f"{path}.lock", timeout=LOCK_WAIT_S
            ):  # one process at a time switches to WAL, creates the table
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute(_SCHEMA)
                present = {row[1] for row in self._db.execute("PRAGMA table_info(replies)")}
                for column, kind in _ADDED.items():
                    if column not in present:
                        self._db.execute(f"ALTER TABLE replies ADD COLUMN {column} {kind}")
            self._db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL survives a killed process
        except (sqlite3.Error, OSError) as err:
            raise CacheUnusable(
                f"the LLM judge cache {path} cannot be used ({err}): move the file away, or set "
                "VSCBENCH_JUDGE_CACHE to another path (its replies would be paid for again)"
            ) from None
        self.unwritable: str | None = None  # why writes stopped, once one failed

    def _rows(self, columns: str, keys: Iterable[str]) -> list[tuple[Any, ...]]:
        """``key, <columns>`` of every cached key among ``keys``, asked in chunks under SQLite's limit."""
        keys = list(dict.fromkeys(keys))
        rows: list[tuple[Any, ...]] = []
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows += self._db.execute(f"SELECT key, {columns} FROM replies WHERE key IN ({marks})", chunk)
        except sqlite3.DatabaseError as err:
            raise CacheUnusable(
                f"the LLM judge cache {self.path} is damaged ({err}): move the file away, or set "
                "VSCBENCH_JUDGE_CACHE to another path (its replies would be paid for again)"
            ) from None
        return rows

    def replies(self, keys: Iterable[str]) -> dict[str, str]:
        """The cached raw reply of each key that has one."""
        return {key: reply for key, reply in self._rows("reply", keys)}

    def served(self, keys: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """The model each cached reply was served by and its ``system_fingerprint`` (``None`` where not kept)."""
        return {
            key: (model, fingerprint)
            for key, model, fingerprint in self._rows("served_model, system_fingerprint", keys)
        }

    def put(
        self,
        key: str,
        *,
        model: str,
        endpoint: str,
        prompt_version: str,
        reply: str,
        official_class: str | None,
        strict_class: str | None,
        recognised: bool,
        served_model: str | None = None,
        system_fingerprint: str | None = None,
    ) -> bool:
        """Store one verdict, committed at once; whether it was stored. After a write fails (``unwritable``
        says why) the later ones are skipped: each would wait ``LOCK_WAIT_S`` for the same lock."""
        if self.unwritable is not None:
            return False
        try:
            self._db.execute(
                f"INSERT OR REPLACE INTO replies ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                (
                    key,
                    model,
                    endpoint,
                    prompt_version,
                    reply,
                    official_class,
                    strict_class,
                    int(recognised),
                    time.time(),
                    served_model,
                    system_fingerprint,
                ),
            )
        except (sqlite3.Error, OSError) as err:
            self.unwritable = (
                f"the LLM judge cache {self.path} could not be written ({err}) after waiting {LOCK_WAIT_S:g} s: "
                "another process holds it (a run or rescore sharing this cache; `fuser` or `lsof` on the file "
                "names it), or its folder is read-only. This run's verdicts are kept; those not stored will be "
                "paid for again by the next run. Wait for that process, or set VSCBENCH_JUDGE_CACHE to another file"
            )
            return False
        return True

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> JudgeCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
