"""What the browser tests share: the leaderboard app served over a results folder on a free loopback
port (stopped by its PID), and headless Chromium through Playwright. Both skip the test cleanly where
Chromium or Playwright is missing."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from elastic_bench.leaderboard_app.launch import (
    HEADLESS_CHROMIUM_ARGS,
    find_chromium,
    free_port,
    start_app,
    stop_app,
    wait_healthy,
)


def require_chromium() -> str:
    """The Chromium executable, or skip the test."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return chromium


@contextlib.contextmanager
def served_app(results: Path, log_dir: Path, timeout: float = 45.0) -> Iterator[str]:
    """The app over ``results`` on a free loopback port, its output in ``log_dir/app.log``; yields its
    URL once it answers, and stops it afterwards."""
    require_chromium()
    port = free_port()
    with open(log_dir / "app.log", "wb") as log:
        proc = start_app(results, port=port, address="127.0.0.1", stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, timeout=timeout)
            yield url
        finally:
            stop_app(proc)


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (Playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = require_chromium()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=HEADLESS_CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, width: int = 1280, height: int = 1400, timeout_ms: int = 30_000, **context):
    """A page in a fresh browser context of that viewport (``context``: further context options)."""
    page = browser.new_context(viewport={"width": width, "height": height}, **context).new_page()
    page.set_default_timeout(timeout_ms)
    return page


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 1400, timeout_ms: int = 30_000) -> Iterator:
    """A page in its own browser, closed afterwards."""
    with chromium() as browser:
        yield new_page(browser, width, height, timeout_ms)
