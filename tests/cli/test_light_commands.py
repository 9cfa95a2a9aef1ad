"""A command that starts or drives an intervention loads no model: only click, the description
of its options (`cli/options.json`), the HTTP client and what prints the answer. Checked on
the modules `python -X importtime` reports for real runs against the stand-in service, so a
heavy import on the way cannot come back unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.stub_service import REFERENCE, Stub

REPO = Path(__file__).resolve().parents[2]
# The domain's models and what they stand on, and the Temporal client.
HEAVY = {"sqlmodel", "sqlalchemy", "temporalio", "pydantic", "pydantic_core", "models.bodies",
         "models.commands", "models.intervention"}

COMMANDS = {
    "escalate": ["escalate", REFERENCE, "--level", "dean", "--reason", "No reply"],
    "convene-panel": ["convene-panel", REFERENCE, "--chair", "Dr A", "--members",
                      "name=Dr A; email=a@x.nhs.uk; roles=senior_panel_member+subject_expert"],
    "record-meeting": ["record-meeting", REFERENCE, "--held-on", "today", "--format", "virtual",
                       "--attendance-learners", "3", "--json"],
    "start": ["start", "--type", "urgent_risk_review", "--provider-code", "RXX01",
              "--provider-name", "N", "--provider-site", "S", "--provider-lead-name", "Dr L",
              "--provider-lead-email", "dme@x.nhs.uk", "--concern-likelihood", "4",
              "--concern-impact", "4", "--concern-summary", "s"],
}


def _imported(*args: str) -> set[str]:
    """Every module `qi *args` imported (and each package above it); it must succeed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", *args], cwd=REPO,
                          env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and line.count("|") == 2}
    return names | {name.split(".")[0] for name in names}


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_sent_to_the_service_loads_no_model(signed_in: Stub, name: str) -> None:
    imported = _imported(*COMMANDS[name])

    assert [command for command, _ in signed_in.received] == [name.replace("-", "_")]
    assert "cli.options" in imported  # the check sees what the command loads
    assert imported & HEAVY == set()


def test_a_commands_help_loads_no_model() -> None:
    assert _imported("escalate", "--help") & HEAVY == set()


def test_the_check_sees_a_model_when_a_command_loads_one() -> None:
    # `qi diagram` builds the lifecycle, and so loads the domain's models.
    assert {"sqlmodel", "models.intervention"} <= _imported("diagram")
