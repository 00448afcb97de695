"""Downloading the XSTest completions: from a loopback HTTP server serving the real files, a good run
keeps them, a corrupted file is refused with nothing kept, a trickling server meets a deadline for the
whole download; a local copy is read with the same size cap."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.gold import xstest_copy
from vscbench_task.validation import download, gold


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A raw.githubusercontent.com look-alike on 127.0.0.1: <root>/<repo>/<commit>/<folder>/<file>."""
    root = tmp_path / "mirror"
    files = root / gold.XSTEST_REPO / gold.XSTEST_COMMIT / gold.XSTEST_FOLDER
    shutil.copytree(xstest_copy(), files)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", files
    server.shutdown()


def test_a_good_download_is_kept_and_reused(mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = mirror
    folder = download.ensure_downloaded(tmp_path / "data", base=base)
    assert folder == download.cached_folder(tmp_path / "data")
    assert len(gold.load_xstest(folder).items) == 2250
    assert download.ensure_downloaded(tmp_path / "data", base="http://127.0.0.1:9") == folder  # no second fetch


def test_a_corrupted_file_is_refused_with_nothing_kept(mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, files = mirror
    target = files / "xstest_v2_completions_mistralguard.csv"
    target.write_bytes(target.read_bytes()[:-10] + b"tampered!!")
    with pytest.raises(gold.GoldSetError, match=r"mistralguard\.csv: sha256 .* is not the pinned .* nothing was kept"):
        download.ensure_downloaded(tmp_path / "data", base=base)
    assert not download.cached_folder(tmp_path / "data").exists()
    assert not list((tmp_path / "data" / "gold").iterdir())  # no staging folder left either


def test_no_internet_names_the_way_out(tmp_path: Path) -> None:
    with pytest.raises(gold.GoldSetError, match="pass it with --xstest-dir"):
        download.ensure_downloaded(tmp_path / "data", base="http://127.0.0.1:9")


class _Trickle(BaseHTTPRequestHandler):
    """Answers every GET with a 100-byte body sent a byte every 0.1 s: each read is quick, the whole slow."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            time.sleep(0.1)


def test_a_download_is_bounded_as_a_whole_not_per_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server sending 1 byte per 5 s was bounded only per socket read (issue 14, case 11)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(download, "DEADLINE_S", 1)
    try:
        with pytest.raises(gold.GoldSetError, match="took longer than 1 s"):
            download.ensure_downloaded(tmp_path / "data", base=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert not list((tmp_path / "data" / "gold").iterdir())  # nothing kept


def test_a_local_xstest_file_too_large_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """--xstest-dir whose first file was 1.5 GB was read whole before its hash check (the download caps
    at 16 MB)."""
    for file, _ in gold.XSTEST_FILES.values():
        (tmp_path / file).write_bytes(b"id,type\n")
    first = tmp_path / next(iter(gold.XSTEST_FILES.values()))[0]
    with open(first, "wb") as fh:
        fh.truncate(1536 * 1024 * 1024)  # a sparse 1.5 GB file: nothing to read if its size is checked first
    with pytest.raises(gold.GoldSetError, match=r"is 1,610,612,736 bytes, more than the 16,777,216"):
        gold.load_xstest(tmp_path)
