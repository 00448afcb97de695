"""``vscbench annotate`` run as a user runs it, in a subprocess: started, its printed address read, killed."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.lmms import VSCBENCH, offline_env


class AnnotateProcess:
    """``vscbench annotate ARGS`` serving until killed; ``url`` is the address it printed."""

    def __init__(self, args: list[str], data_dir: Path) -> None:
        self.args, self.data_dir = args, data_dir
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.printed: list[str] = []

    def start(self) -> AnnotateProcess:
        self.process = subprocess.Popen(
            [*VSCBENCH, "annotate", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=offline_env(self.data_dir),
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.printed.append(line)
            found = re.search(r"open (http://127\.0\.0\.1:\d+/\?token=\S+)", line)
            if found:
                self.url = found.group(1)
                return self
        raise RuntimeError("vscbench annotate did not start:\n" + "".join(self.printed))

    @property
    def base(self) -> str:
        return self.url.split("/?")[0]

    @property
    def token(self) -> str:
        return self.url.split("token=")[1]

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __enter__(self) -> AnnotateProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


def request(url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of a GET (or a JSON POST when ``body`` is given), errors included."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if body is not None else {}
    call = urllib.request.Request(url, data=data, headers=sent | (headers or {}))
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
