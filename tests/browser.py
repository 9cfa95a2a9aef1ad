"""Headless Chromium (Debian's package) for the browser tests, driven by Playwright: where it
is, the flags it runs with, and where screenshots go. A test skips with the reason where the
browser is absent, unless QI_TEST_REQUIRE_BROWSER=1 (CI), where its absence fails the run."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser
    from playwright.sync_api import Browser as SyncBrowser

__all__ = ["CHROMIUM", "FLAGS", "OUTPUT", "chromium", "chromium_sync", "require_browser"]

CHROMIUM = os.environ.get("QI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"


def require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("QI_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Chromium launched for an async test, closed on leaving (skipped or failed first where
    it is absent, as `require_browser` says)."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@contextmanager
def chromium_sync() -> Iterator[SyncBrowser]:
    """`chromium`, for a test that drives the browser with Playwright's synchronous API."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
