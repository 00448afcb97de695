"""The slow lane: every test under ``tests/e2e`` is marked ``e2e`` here, so no file needs a marker of its
own and ``tests/unit`` (the fast lane, ``make test-fast``) needs none. The page tests' headless browser
and loopback web server (``tests/support/browser.py``) are fixtures of this lane."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import browser, http_server

__all__ = ["browser", "http_server"]  # fixtures for the page tests

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
