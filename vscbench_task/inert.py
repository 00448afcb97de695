"""Text from outside (model names, paths, responses) made inert for the files the package writes.

A run's files are not trusted, and what they name ends up in Markdown, HTML, JSON, plots and printed
lines. Here, once, for every writer:

* ``shown`` writes every character a reader cannot see or that changes how the text around it is laid
  out as a visible escape (``\\u200b``): controls (C0, DEL, C1), format characters (zero-width spaces and
  joiners, bidi embeddings, overrides and isolates, the soft hyphen, tag characters), line and paragraph
  separators, spaces other than the plain one, variation selectors and the letters that draw as a blank.
  Two names that differ only by such a character then look different, and none can reorder or hide the
  text beside it (a right-to-left override turning ``model-b`` into something that reads as another name);
* ``distinct`` numbers apart names that still render alike once shown (one model run twice; ``é`` written
  as one character or as ``e`` and a combining accent), so no two rows of a table look the same;
* ``flat`` turns line breaks and other C0 controls into spaces and shows the rest (for one-line text such
  as a plot label);
* ``markdown`` also writes ``&``, ``<`` and ``>`` as entities (so no raw HTML, ``<script>`` or
  ``<img onerror>``, reaches a renderer) and breaks link syntax (``](`` cannot start a link target such as
  ``javascript:``); ``markdown_table`` escapes ``|`` in every cell as well, so a name cannot break a table;
* ``spreadsheet_cell`` keeps a CSV cell from being run as a formula by the spreadsheet that opens it.

Homoglyphs (a Cyrillic ``\u0430`` for a Latin ``a``) are visible characters of their own and are not matched:
telling them apart needs Unicode's confusables table, which the standard library does not ship.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# Characters of visible categories that still draw as nothing: Hangul fillers, the braille blank, the
# combining grapheme joiner, variation selectors.
_BLANK = frozenset(
    (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x2800, 0x3164, 0xFFA0)
).union(range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))
# Unicode categories never shown as themselves: controls, format characters (zero-width, bidi, tags),
# line and paragraph separators, surrogates, private use and unassigned code points.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _hidden(char: str) -> bool:
    code = ord(char)
    if code < 0x80:
        return code < 0x20 or code == 0x7F
    category = unicodedata.category(char)
    return category in _HIDDEN_CATEGORIES or category == "Zs" or code in _BLANK


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown(text: str) -> str:
    """``text`` with every invisible, bidi or control character written as a visible escape (``\\u200b``)."""
    return "".join(_escape(c) if _hidden(c) else c for c in text)


def distinct(names: Sequence[str]) -> list[str]:
    """Each name ``shown``, and names that render alike (equal once shown and NFKC-normalised) numbered
    apart with ``#1``, ``#2``, ... in the order given, skipping a number that would render like a name
    already there (``m #1`` given beside two ``m`` makes them ``m #2`` and ``m #3``); the others are left
    as they are."""
    out = [shown(name) for name in names]
    keys = [unicodedata.normalize("NFKC", name) for name in out]
    counts = Counter(keys)
    taken = set(keys)
    found = list(out)
    for i, key in enumerate(keys):
        if counts[key] > 1:
            number = 1
            while unicodedata.normalize("NFKC", f"{out[i]} #{number}") in taken:
                number += 1
            found[i] = f"{out[i]} #{number}"
            taken.add(unicodedata.normalize("NFKC", found[i]))
    return found


def flat(text: str) -> str:
    """One line: line breaks and other C0 controls turned into spaces, every other hidden character shown."""
    return shown(_CONTROL.sub(" ", text))


def markdown(raw: str) -> str:
    """Any text, made inert for Markdown (see the module)."""
    return flat(raw).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("](", "]\\(")


def markdown_cell(raw: object) -> str:
    """A table cell: inert text with pipes escaped."""
    return markdown(str(raw)).replace("|", "\\|")


def markdown_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table, one line per list entry, every cell inert."""
    lines = ["| " + " | ".join(map(markdown_cell, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(map(markdown_cell, row)) + " |" for row in rows]


# What makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula: its first
# character, also in the full-width forms some locales accept, and a tab or carriage return before it.
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def spreadsheet_cell(text: str) -> str:
    """A CSV text cell that a spreadsheet shows as text, never runs: one whose first visible character
    would start a formula (``=``, ``+``, ``-``, ``@``, after any spaces, controls or invisible
    characters) gets a leading apostrophe, the spreadsheets' own mark for "this is text"."""
    first = next((c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zs", "Zl", "Zp")), "")
    if text[:1] in ("\t", "\r") or first in _FORMULA_STARTS:
        return "'" + text
    return text
