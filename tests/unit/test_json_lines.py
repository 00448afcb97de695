"""Every reader of outside JSON Lines (verdict files, gold files, labels files, per-item judgements) reads
them through one strict reader: a deeply nested line, a repeated key or a NaN is that line's message,
never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from vscbench_task.annotate.labels import LabelsFileError, read_lines
from vscbench_task.judges.verdicts import VerdictsError, read_verdicts
from vscbench_task.validation.gold import GoldSetError
from vscbench_task.validation.gold_file import load_gold_file

DEEP = "[" * 100_000 + "]" * 100_000
READERS = [(read_verdicts, VerdictsError), (load_gold_file, GoldSetError), (read_lines, LabelsFileError)]


@pytest.mark.parametrize(("read", "error"), READERS)
@pytest.mark.parametrize(
    ("line", "why"),
    [
        (DEEP, r"x.jsonl:2: not a strict JSON line \(JSON nested too deep to read\)"),
        ('{"id": 1, "id": 2}', r"x.jsonl:2: not a strict JSON line \(the key 'id' appears twice"),
        ('{"id": NaN}', r"x.jsonl:2: not a strict JSON line \(NaN is not a JSON number"),
    ],
)
def test_a_hostile_line_is_that_lines_message(tmp_path: Path, read, error, line: str, why: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"format": "first line, well formed"}\n' + line + "\n")
    with pytest.raises(error, match=why):
        read(path)


@pytest.mark.parametrize(("read", "error"), READERS)
def test_a_file_that_is_not_text_is_refused_by_name(tmp_path: Path, read, error) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(error, match=r"x.jsonl: cannot be read as"):
        read(path)
