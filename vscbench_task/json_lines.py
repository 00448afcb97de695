"""JSON Lines from outside, read strictly: what every reader of a user's or a host's JSON Lines shares.

A key given twice in one object is refused (JSON parsers differ on which value wins, so a file could mean
one thing here and another elsewhere), and so, where the format says numbers are finite, are ``NaN`` and
``Infinity`` (Python's ``json`` takes them; strict parsers do not). A file's text (decode it as
``utf-8-sig``: a byte-order mark from a Windows tool is not text) is split at ``"\\n"`` only, as JSON Lines
are: a Unicode line separator inside a string stays in the string. JSON nested too deep for the parser
is refused like any other text that is not JSON, never a traceback. ``read`` does all of it for a file and
raises the caller's own error naming ``file:line``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"the key {repeated[0]!r} appears twice in one object, so which value is meant is unclear")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (strict JSON has finite numbers only)")


def loads(text: str, *, allow_nan: bool = True) -> Any:
    """One JSON value; ``ValueError`` saying why for text that is not JSON, an object repeating a key, JSON
    nested too deep to parse, or (unless ``allow_nan``) ``NaN``/``Infinity``."""
    try:
        if allow_nan:
            return json.loads(text, object_pairs_hook=_unique_keys)
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deep to read") from None


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of a JSON Lines text with their numbers (from 1): split at ``"\\n"`` only."""
    return [(number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip()]


def read(
    path: Path, what: str, error: Callable[[str], Exception], *, allow_nan: bool = False
) -> tuple[bytes, list[tuple[int, str, Any]]]:
    """A JSON Lines file's bytes (to hash) and each non-blank line parsed strictly, as ``(number,
    "path:line", value)``; a file that cannot be read as text, or a line that is not strict JSON, raises
    ``error(message)`` naming the file (and line) as ``what``."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: cannot be read as {what} ({err})") from None
    parsed = []
    for number, line in numbered_lines(text):
        where = f"{path}:{number}"
        try:
            parsed.append((number, where, loads(line, allow_nan=allow_nan)))
        except ValueError as err:
            raise error(f"{where}: not a strict JSON line ({err})") from None
    return data, parsed
