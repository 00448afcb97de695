"""A test server on 127.0.0.1 run as a subprocess: start it, kill it, start it again on the same port.

The server scripts (``stub_server.py``: the judge; ``replay_server.py``: the replay model) print
``READY <port>`` once listening and append one JSON line per request to ``--log``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar


class LoopbackProcess:
    """One server subprocess; ``script`` is set by each kind, ``arguments`` are its own options."""

    script: ClassVar[str]

    def __init__(self, log: Path, arguments: list[str] | None = None) -> None:
        self.log = log
        self.arguments = arguments or []
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> LoopbackProcess:
        command = [sys.executable, self.script, "--port", str(self.port), "--log", str(self.log), *self.arguments]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("READY "):
            raise RuntimeError(f"{Path(self.script).name} did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def kill(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def calls(self) -> list[dict[str, Any]]:
        """Every request logged so far, across restarts."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def __enter__(self) -> LoopbackProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
