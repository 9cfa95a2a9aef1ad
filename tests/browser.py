"""Headless Chromium (Debian's package) for the browser tests, driven by Playwright: where it
is, the flags it runs with, and where screenshots go. A test skips with the reason where the
browser is absent, unless QI_TEST_REQUIRE_BROWSER=1 (CI), where its absence fails the run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ["CHROMIUM", "FLAGS", "OUTPUT", "require_browser"]

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
