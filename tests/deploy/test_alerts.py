"""The Prometheus alert rules are valid, and behave as their unit tests say (promtool)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.deploy.conftest import REPO

RULES = REPO / "deploy" / "prometheus"

pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool is not installed (Debian's `prometheus` package has it; CI installs it)",
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], cwd=RULES, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_alert_rules_are_valid() -> None:
    done = _promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


def test_the_alert_rules_pass_their_unit_tests() -> None:
    done = _promtool("test", "rules", "alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
