"""Each run's results kept between reports, so adding a model to a leaderboard computes that model only.

A leaderboard is reported again every time a model joins it; judging and resampling the runs already
on it would give the same numbers again. So each part's results (every figure and interval, and the
ranking key's bootstrap replicates) are stored under a key that hashes everything they depend on:

* the responses: every ``doc_key`` and response text of the part, in key order (the run's content, not
  its path or file dates: a run moved or copied is still found, a run edited is not);
* the judge: the reading and the judge's identity (``judges.identity``: for the LLM judge its model,
  endpoint, request and prompt version; for verdicts read from a verdict file, also that file's hash);
* the bootstrap: seed, resamples and confidence level;
* the code: the package version and a hash of the sources and data files the numbers come from
  (``scoring``, ``judges``, ``dataset``, the packaged metadata, the report's tables), so an upgrade or
  an edited checkout never reads an entry an older one wrote;
* the format of the entries.

An entry is therefore never served for other responses, another judge, seed, resamples or level.
Results in which a judge call failed or a reply had no class are not stored: the next report asks again.

Entries live in ``<data dir>/report-cache/`` (beside the LLM judge's cache; ``report --cache-dir``
chooses another folder, ``--no-cache`` none), one ``.npz`` file each, written whole or not at all and
read with ``allow_pickle=False``: a file someone else put there can be wrong but cannot run code, and one
that does not hold what its name promises (another key, other shapes) is recomputed and replaced.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import math
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import vscbench_task
from vscbench_task.dataset import datadir
from vscbench_task.scoring.bootstrap import Interval
from vscbench_task.scoring.records import Response

log = logging.getLogger(__name__)
T = TypeVar("T")

FORMAT = 1
FOLDER = "report-cache"
PACKAGE = Path(vscbench_task.__file__).parent
# What the cached numbers are computed by: the package's sources and data under these paths.
SOURCES = ("scoring", "judges", "dataset", "data", "report/tables.py", "report/results_cache.py")


def default_folder() -> Path:
    """``<data dir>/report-cache``."""
    return datadir.resolve() / FOLDER


@functools.cache
def code_fingerprint() -> str:
    """A hash of the version and of every source and data file the cached numbers depend on."""
    digest = hashlib.sha256(vscbench_task.__version__.encode())
    for name in SOURCES:
        path = PACKAGE / name
        files = sorted(p for p in path.rglob("*") if p.suffix in (".py", ".jsonl")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(PACKAGE)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def responses_digest(responses: Sequence[Response]) -> str:
    """The content of a part's responses, whatever their order: sha256 of the (key, response) pairs."""
    pairs = sorted((r.doc_key, r.response) for r in responses)
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=True).encode("ascii")).hexdigest()


def entry_key(
    *,
    digest: str,
    part: str,
    task: str,
    reading: str,
    judge: Mapping[str, Any],
    seed: int,
    resamples: int,
    level: float,
) -> str:
    """The key of one part's results: everything they depend on (see the module)."""
    identity = [FORMAT, code_fingerprint(), digest, part, task, reading, dict(judge), seed, resamples, repr(level)]
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()


def _interval_out(iv: Interval) -> list[Any]:
    return [None if math.isnan(v) else v for v in (iv.point, iv.low, iv.high)] + [iv.note]


def _interval_in(values: list[Any]) -> Interval:
    point, low, high = (math.nan if v is None else float(v) for v in values[:3])
    if not (values[3] is None or isinstance(values[3], str)):
        raise TypeError("an interval's note is text")
    return Interval(point, low, high, values[3])


INTERVAL_FIELDS = ("sra", "paired", "by_type")


class ResultsCache:
    """The entries under ``folder``; ``hits`` and ``misses`` count what this report found."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.unwritable = False

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def get(self, key: str, build: Callable[[dict[str, Any], np.ndarray | None], T]) -> T | None:
        """The part's result stored under ``key``, made by ``build`` from its fields (intervals as
        ``Interval``) and its replicates; ``None`` when there is none, or none that ``build`` accepts."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as stored:
                meta = json.loads(stored["meta"].tobytes().decode("utf-8"))
                replicates = np.array(stored["replicates"], dtype=float)
            if meta.get("key") != key or meta.get("format") != FORMAT:
                raise ValueError("the entry is not the one its name promises")
            fields = dict(meta["result"])
            for name in INTERVAL_FIELDS:
                fields[name] = {stat: _interval_in(values) for stat, values in fields[name].items()}
            result = build(fields, replicates if meta["has_replicates"] else None)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, UnicodeDecodeError):
            self.misses += 1  # damaged or foreign: computed again and written over
            return None
        self.hits += 1
        return result

    def put(self, key: str, fields: Mapping[str, Any], replicates: np.ndarray | None) -> None:
        """Store a part's result (whole or not at all; a folder that cannot be written is left alone)."""
        stored = dict(fields)
        for name in INTERVAL_FIELDS:
            stored[name] = {stat: _interval_out(iv) for stat, iv in fields[name].items()}
        meta = {"key": key, "format": FORMAT, "has_replicates": replicates is not None, "result": stored}
        buffer = io.BytesIO()
        text = json.dumps(meta, allow_nan=False).encode("utf-8")
        np.savez(
            buffer,
            meta=np.frombuffer(text, dtype=np.uint8),
            replicates=np.zeros(0) if replicates is None else replicates,
        )
        path = self._path(key)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(buffer.getvalue())
            os.replace(temporary, path)
        except OSError as err:  # a cache saves time only: a read-only or full disk must not cost the report
            if not self.unwritable:
                log.warning(
                    "report cache %s cannot be written (%s): next time these runs are computed again", path, err
                )
            self.unwritable = True
        finally:
            temporary.unlink(missing_ok=True)
