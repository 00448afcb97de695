"""Downloading the XSTest completions: from a loopback HTTP server serving the real files, a good run
keeps them, a corrupted file is refused with nothing kept."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
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
