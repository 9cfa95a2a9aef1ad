"""The README's walkthrough, run as written: the first coordinator made and signed in, an
Urgent Risk Review driven to closed by its reference, the dean approving closure signed in as
themselves. Only `.venv/bin/qi` is replaced, by this interpreter's `qi`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Qi, StartStack
from tests.e2e.test_cli_end_to_end import settled

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Driving an intervention with `qi`")[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "the walkthrough is two shell blocks: signing in, then driving"
    script = "\n".join(blocks)
    assert "qi=.venv/bin/qi\n" in script
    return script.replace("qi=.venv/bin/qi\n", f'qi="{sys.executable} -m cli"\n')


@pytest.mark.timeout(300)  # some 25 `qi` processes, one after another
def test_the_readme_walkthrough_runs_as_written(qi: Qi, qi_up: StartStack) -> None:
    qi_up()
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough() + '\necho "$ref"'],
                          cwd=qi.home, env=qi.env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    reference = done.stdout.split()[-1]
    assert re.fullmatch(r"QI-\d{4}-0001", reference)
    assert "signed in to http://127.0.0.1" in done.stdout
    shown = qi.json("show", reference)["data"]
    assert shown["state"] == "closed"
    assert shown["closure_approval"]["role"] == "dean"
    # The audit trail is recorded just after each command's reply: wait for the last one.
    sent = [(command, "c.okafor") for command in (
        "start", "convene_panel", "record_meeting", "issue_report", "add_action",
        "agree_action_plan", "accept_action")]
    sent += [("approve_closure", "dean.patel"), ("close", "c.okafor")]
    trail = settled(lambda: qi.json("audit", reference), len(sent))
    assert [(e["command"], e["actor"]) for e in trail] == sent
