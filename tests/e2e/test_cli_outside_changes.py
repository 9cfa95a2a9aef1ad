"""`qi` on an intervention terminated in Temporal, outside the service, with the `temporal` CLI
against `qi up`'s dev server: `qi show` says how it ended, a command is refused saying so, and
`qi audit` and `qi list` show it as the read model records it; the typed reason is in no log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli.exit_codes import EXIT_REFUSED
from tests.e2e.conftest import Qi, StartStack
from tests.e2e.test_cli_end_to_end import START_OPTIONS, assert_refused
from tests.scenario import COORDINATOR

TEMPORAL = Path(sys.executable).parent / "temporal"
TYPED = "Asked by a learner on ward 7 to stop this review"


def test_qi_tells_of_an_intervention_terminated_in_temporal(qi: Qi, qi_up: StartStack) -> None:
    stack = qi_up()
    qi = qi.signed_in(COORDINATOR, email="c.okafor@quality.example.nhs.uk")
    started = qi.json("start", *START_OPTIONS)
    reference = started["data"]["reference"]
    terminated = subprocess.run(
        [str(TEMPORAL), "workflow", "terminate", "-w", started["data"]["intervention_id"],
         "--reason", TYPED, "--address", f"127.0.0.1:{qi.temporal_port}"],
        env=qi.env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert terminated.returncode == 0, terminated.stderr

    shown = qi.json("show", reference)
    told = " ".join(qi.ok("show", reference).stdout.split())
    refused = qi("escalate", reference, "--level", "dean", "--reason", "No reply from the trust")
    audit = qi.json("audit", reference)
    listed = qi.json("list")
    only_ended = qi.json("list", "--state", "ended_outside")

    assert shown["data"]["state"] == "planned"
    assert shown["ended_outside"]["how"] == "terminated"
    assert shown["next_steps"] == []
    assert_refused(refused, EXIT_REFUSED, "escalate is not allowed: this intervention was "
                   "terminated outside the service on", "it can no longer take commands")
    assert [(e["actor"], e["command"]) for e in audit] == [
        (COORDINATOR, "start"), ("unknown", "terminated")]
    assert audit[-1]["reason"] == TYPED
    assert [(r["reference"], r["state"]) for r in listed] == [
        (reference, "ended_outside")]
    assert [r["reference"] for r in only_ended] == [reference]
    assert "ended: terminated outside the service on" in told
    assert TYPED not in stack.output
