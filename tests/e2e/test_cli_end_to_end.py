"""A newcomer's session: `qi up`, drive an Urgent Risk Review with `qi`, stop, start again,
and finish the review on the same data folder."""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Qi, RunningStack, StartStack, accepts_connections
from tests.scenario import COORDINATOR, DEAN, today

SITE = "Northshire General, Emergency Department [main site]"
OWNER_NAME = "Dr Morgan Hale"
OWNER_EMAIL = "dme@northshire.example.nhs.uk"
ACCEPTOR = "q.lead"

START_OPTIONS = (
    "--type", "urgent_risk_review",
    "--provider-code", "RXX01",
    "--provider-name", "Northshire Hospitals NHS Trust",
    "--provider-site", SITE,
    "--provider-lead-name", OWNER_NAME,
    "--provider-lead-email", OWNER_EMAIL,
    "--concern-likelihood", "4",
    "--concern-impact", "4",
    "--concern-source", "national_training_survey",
    "--concern-summary", "Supervision gaps reported on night shifts",
    "--coordinator-email", "c.okafor@quality.example.nhs.uk",
)


def assert_refused(done: subprocess.CompletedProcess[str], code: int, *named: str) -> None:
    """Exit `code`, nothing on stdout, and one line on stderr giving the reason."""
    assert done.returncode == code, f"exit {done.returncode}, stderr: {done.stderr}"
    assert done.stdout == ""
    reason = done.stderr.strip()
    assert reason.startswith("error: ")
    assert "\n" not in reason, f"reason spans lines: {done.stderr!r}"
    for text in named:
        assert text in reason, f"{text!r} not in {reason!r}"


def assert_stopped(stack: RunningStack, qi: Qi, signum: signal.Signals) -> None:
    assert stack.stop(signum) == 0, stack.output
    assert not stack.group_alive(), "the Temporal dev server outlived `qi up`"
    assert not accepts_connections(qi.temporal_port)
    assert not accepts_connections(qi.ui_port)


def state_of(qi: Qi, intervention_id: str) -> str:
    state: str = qi.json("show", intervention_id)["data"]["state"]
    return state


def command(qi: Qi, name: str, intervention_id: str, *options: str) -> dict[str, Any]:
    """`intervention_id` may be the reference, as people type it."""
    result: dict[str, Any] = qi.json(name, intervention_id, *options)
    assert intervention_id in (result["intervention_id"], result["reference"])
    assert result["command"] == name.replace("-", "_")
    return result


def start_review(qi: Qi) -> str:
    status = qi.json("start", *START_OPTIONS)
    data = status["data"]
    assert data["state"] == "planned"
    assert data["provider"]["site"] == SITE
    assert data["concern"] == {
        "likelihood": 4, "impact": 4, "source": "national_training_survey",
        "summary": "Supervision gaps reported on night shifts", "override_justification": None,
    }
    assert "convene_panel" in [step["command"] for step in status["next_steps"]]
    intervention_id: str = data["intervention_id"]
    return intervention_id


def drive_to_report_issued(qi: Qi, intervention_id: str) -> None:
    held_on = today().isoformat()
    convened = command(
        qi, "convene-panel", intervention_id, "--chair", "Dr Ada Senior",
        "--members", "name=Dr Ada Senior; email=ada@panel.example.nhs.uk; "
                     "roles=senior_panel_member; interests_declared=yes",
        "--members", "name=Dr Ben Expert; email=ben@panel.example.nhs.uk; "
                     "roles=subject_expert; interests_declared=yes",
        "--members", "name=Dr Cai External; email=cai@panel.example.nhs.uk; "
                     "roles=external_member+lay_representative; interests_declared=yes",
    )
    assert convened["state"] == "panel_convened"
    met = command(
        qi, "record-meeting", intervention_id, "--held-on", "today",
        "--format", "face_to_face", "--attendance-learners", "12",
        "--attendance-supervisors", "4", "--attendance-leaders", "2",
    )
    assert met["state"] == "meetings_held"
    assert met["created"] == ["M1"]
    reported = command(
        qi, "issue-report", intervention_id, "--final",
        "--factual-accuracy-closed-on", held_on,
        "--findings", "category=mandatory_requirement; text=Night-time supervision rota",
        "--findings", "category=good_practice; text=Teaching programme valued by learners",
    )
    assert reported["state"] == "report_issued"
    assert reported["created"] == ["F1", "F2"]
    assert_refused(qi("add-action", intervention_id, "--finding-id",
                      "F9", "--description", "x", "--owner-name", OWNER_NAME, "--owner-email",
                      OWNER_EMAIL, "--due-on", "today"), 2, "--finding-id", "F9")
    due_on = today() + timedelta(days=60)
    added = qi.ok(
        "add-action", intervention_id, "--finding-id", "F1",
        "--description", "Publish a rota with a named senior on every night shift",
        "--owner-name", OWNER_NAME, "--owner-email", OWNER_EMAIL,
        "--due-on", due_on.strftime("%d/%m/%Y"),
    ).stdout
    # The reply names the intervention by its reference.
    assert re.match(r"add-action: QI-\d{4}-0001 is now report_issued; added action A1 "
                    r"\(ready next: ", added)
    assert "agree-action-plan" in added


def settled(read: Callable[[], list[Any]], count: int) -> list[Any]:
    """What `read` returns from the read model once it holds `count` rows: it is written just
    after each command is answered."""
    deadline = time.monotonic() + 10
    rows = read()
    while len(rows) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = read()
    return rows


def assert_refusals_change_nothing(qi: Qi, intervention_id: str) -> None:
    assert_refused(qi("close", intervention_id), 1, "close", "report_issued")
    assert state_of(qi, intervention_id) == "report_issued"

    invalid = qi("start", *START_OPTIONS, "--concern-likelihood", "9")
    assert_refused(invalid, 2, "--concern-likelihood: '9' is not a whole number from 1 to 5")
    assert [row["id"] for row in qi.json("list")] == [intervention_id]

    unknown = f"intervention-{uuid.uuid4()}"
    assert_refused(qi("show", unknown), 3, unknown)
    assert_refused(qi("close", unknown), 3, unknown)
    assert_refused(qi("show", "[ward-3]"), 3, "'[ward-3]'")


def assert_audit(qi: Qi, intervention_id: str, expected: list[tuple[str, str]]) -> None:
    """The read model's trail: (command, actor) in order, each step starting where the last
    one ended."""
    entries = settled(lambda: qi.json("audit", intervention_id), len(expected))
    assert [(e["command"], e["actor"]) for e in entries] == expected
    assert [e["seq"] for e in entries] == list(range(1, len(expected) + 1))
    assert all(e["intervention_id"] == intervention_id for e in entries)
    for before, after in itertools.pairwise(entries):
        assert after["from_state"] == before["to_state"]
        assert datetime.fromisoformat(after["at"]) >= datetime.fromisoformat(before["at"])


def finish_review(qi: Qi, intervention_id: str) -> None:
    """Each step by the person whose part it is, each signed in as themselves."""
    agreed = command(qi, "agree-action-plan", intervention_id)
    assert agreed["state"] == "actions_tracked"
    # The owner's own account, whatever its user name, may not accept their action.
    owner = qi.signed_in("m.hale", email=OWNER_EMAIL.upper())
    by_owner = owner("accept-action", intervention_id, "--action-id", "A1",
                     "--evidence", "Rota published")
    assert_refused(by_owner, 1, "A1", "signed in as m.hale with that e-mail")
    acceptor = qi.signed_in(ACCEPTOR)
    command(acceptor, "accept-action", intervention_id, "--action-id", "A1",
            "--evidence", "Rota for March published; audit shows full cover")
    assert_refused(qi("approve-closure", intervention_id), 6, "dean or dean_delegate")
    command(qi.signed_in(DEAN, role="dean"), "approve-closure", intervention_id)
    closed = command(qi, "close", intervention_id)
    assert closed["state"] == "closed"
    assert closed["allowed"] == []


URGENT_TRAIL_TO_REPORT = [
    ("start", COORDINATOR),
    ("convene_panel", COORDINATOR),
    ("record_meeting", COORDINATOR),
    ("issue_report", COORDINATOR),
    ("add_action", COORDINATOR),
]


@pytest.mark.timeout(300)  # two `qi up`s and some 40 `qi` processes, one after another
def test_urgent_review_driven_with_qi_survives_a_restart(qi: Qi, qi_up: StartStack) -> None:
    first = qi_up()
    assert "--role coordinator --email YOU@EXAMPLE.NHS.UK --login" in first.output
    qi = qi.signed_in(COORDINATOR, email="c.okafor@quality.example.nhs.uk")
    intervention_id = start_review(qi)
    drive_to_report_issued(qi, intervention_id)
    assert_refusals_change_nothing(qi, intervention_id)

    before = qi.json("show", intervention_id)["data"]
    assert before["state"] == "report_issued"
    assert [f["category"] for f in before["findings"]] == ["mandatory_requirement",
                                                          "good_practice"]
    assert [(a["id"], a["owner_name"], a["status"]) for a in before["actions"]] == [
        ("A1", OWNER_NAME, "open")]
    [row] = settled(lambda: qi.json("list", "--state", "report_issued"), 1)
    assert (row["id"], row["provider_code"], row["open_actions"]) == (intervention_id, "RXX01", 1)
    assert_audit(qi, intervention_id, URGENT_TRAIL_TO_REPORT)

    assert_stopped(first, qi, signal.SIGINT)

    second = qi_up()
    reference = before["reference"]  # from here on, driven as people say it: QI-<year>-0001
    assert re.fullmatch(r"QI-\d{4}-0001", reference)
    after = qi.json("show", reference)["data"]
    assert after == before
    shown = " ".join(qi.ok("show", reference).stdout.split())
    assert shown.startswith(f"{reference} {intervention_id}")
    assert "report_issued" in shown
    assert f"{SITE};" in shown

    finish_review(qi, reference)
    assert state_of(qi, reference.lower()) == "closed"
    closed = settled(lambda: qi.json("list", "--state", "closed"), 1)
    assert [row["id"] for row in closed] == [intervention_id]
    firsts = [line.split()[0] for line in qi.ok("list").stdout.splitlines() if line.strip()]
    assert firsts.index(intervention_id) == firsts.index(reference) + 1  # the reference leads
    assert qi.json("audit", reference) == qi.json("audit", intervention_id)
    for name in ("show", "audit", "close"):
        assert_refused(qi(name, "QI-1999-0001"), 3, "no intervention QI-1999-0001")
    assert_audit(qi, intervention_id, [
        *URGENT_TRAIL_TO_REPORT,
        ("agree_action_plan", COORDINATOR),
        ("accept_action", ACCEPTOR),
        ("approve_closure", DEAN),
        ("close", COORDINATOR),
    ])

    assert_stopped(second, qi, signal.SIGTERM)
