"""A real headless browser for the page tests: Debian's chromium driven by its own chromedriver (Selenium).

The browser is never downloaded and never reaches past 127.0.0.1: the driver is given by path
(``Service(executable_path=...)``), so Selenium Manager never runs; every host name but 127.0.0.1 and
localhost resolves to nothing inside chromium (``--host-resolver-rules``), and no proxy is used. A
missing browser, driver or selenium **fails** the tests that need them (never a skip), naming the fix:
CI (``.ci/run``) installs them, and a page test that silently did not run would prove nothing.

``tests/e2e/conftest.py`` exposes the fixtures: ``browser`` (one headless chromium per test session
and worker) and ``http_server`` (a folder served on 127.0.0.1, recording JSON POST bodies).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Read only by Selenium Manager, which a driver given by path never starts: belt and braces.
os.environ.setdefault("SE_AVOID_STATS", "true")
os.environ.setdefault("SE_OFFLINE", "true")

CHROMIUM = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
INSTALL = "install them with: apt-get install -y --no-install-recommends chromium chromium-driver"
ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # required when running as root (CI)
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
    "--remote-debugging-pipe",  # no DevTools port
    "--window-size=1280,900",
    # Everything but the loopback resolves to nothing: no DNS query leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
)


def executable(variable: str, candidates: tuple[str, ...], what: str) -> str:
    """``$variable`` or the first of ``candidates`` that is an executable file; else the test fails."""
    explicit = os.environ.get(variable)
    paths = [explicit] if explicit else list(candidates)
    for path in paths:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    pytest.fail(
        f"{what} not found (looked at {', '.join(paths)}; set ${variable} to another); {INSTALL}", pytrace=False
    )


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless chromium (a Selenium ``WebDriver``), shared by a session's page tests."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        pytest.fail(f"selenium cannot be imported ({err}): pip install -e '.[test]'", pytrace=False)
    chromium = executable("CHROMIUM_BIN", CHROMIUM, "chromium")
    chromedriver = executable("CHROMEDRIVER_BIN", CHROMEDRIVER, "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    log = tmp_path_factory.mktemp("chromedriver") / "chromedriver.log"
    try:
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver, log_output=str(log)), options=options)
    except Exception as err:  # a browser that cannot start is a failure with its cause, not a skip
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        pytest.fail(f"headless {chromium} did not start through {chromedriver}: {first}; see {log}", pytrace=False)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(15)
    yield driver
    driver.quit()


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 10) -> Any:
    """Poll ``condition(driver)`` until it is truthy (Selenium's ``WebDriverWait``)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def open_page(driver: Any, url: str) -> None:
    """Load ``url`` and wait for its script to mark the page ready (``document.body.dataset.ready``)."""
    driver.get(url)
    wait(driver, lambda d: d.execute_script("return document.body && document.body.dataset.ready === '1'"))


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; records each JSON POST body in ``server.posts``."""

    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"null")
        with self.server.lock:
            self.server.posts.append({"path": self.path, "body": body})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    # chromium keeps connections open; joining non-daemon handler threads would stall the teardown.
    daemon_threads = True

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path, _Server]]:
    """(base URL, served folder, server) of a threaded HTTP server on 127.0.0.1."""
    server = _Server(tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path, server
    server.shutdown()
    server.server_close()
    thread.join(5)
