"""Valid commands for driving an Urgent Risk Review, shared by workflow, CLI and API tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.commands import Event

COORDINATOR = "c.okafor"
DEAN = "dean.patel"
# The e-mails of their accounts, which the service puts on the commands they send.
EMAILS = {COORDINATOR: "c.okafor@quality.example.nhs.uk", DEAN: "dean.patel@quality.example.nhs.uk"}
LEAD_EMAIL = "dme@northshire.example.nhs.uk"  # the provider's lead, Dr Morgan Hale


def today() -> date:
    return datetime.now(UTC).date()


def start_request(type_code: str = "urgent_risk_review", **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "type": type_code,
        "provider": {
            "code": "RXX01",
            "name": "Northshire Hospitals NHS Trust",
            "site": "Northshire General, Emergency Department",
            "lead_name": "Dr Morgan Hale",
            "lead_email": LEAD_EMAIL,
        },
        "concern": {
            "likelihood": 4,
            "impact": 4,
            "source": "national_training_survey",
            "summary": "Supervision gaps reported on night shifts",
        },
        "coordinator": COORDINATOR,
        "coordinator_email": EMAILS[COORDINATOR],
    }
    request.update(overrides)
    return request


def member(name: str, *roles: str, conflict: str = "none", declared: bool = True) -> dict[str, Any]:
    email = name.lower().replace(" ", ".").replace("dr.", "") + "@panel.example.nhs.uk"
    return {
        "name": name,
        "email": email,
        "roles": list(roles),
        "interests_declared": declared,
        "conflict": conflict,
    }


def urgent_panel() -> dict[str, Any]:
    return {
        "actor": COORDINATOR,
        "chair": "Dr Ada Senior",
        "members": [
            member("Dr Ada Senior", "senior_panel_member"),
            member("Dr Ben Expert", "subject_expert"),
            member("Dr Cai External", "external_member"),
            member("Lee Lay", "lay_representative"),
        ],
    }


def provider_lead(conflict: str = "none") -> dict[str, Any]:
    """The provider's lead as a panel member, under a name typed differently from theirs."""
    return {**member("Dr M. Hale", "provider_executive", conflict=conflict), "email": LEAD_EMAIL}


def with_lead_on_panel(conflict: str = "none") -> dict[str, Any]:
    panel = urgent_panel()
    return {**panel, "members": [*panel["members"], provider_lead(conflict)]}


def signed_in(payload: dict[str, Any]) -> dict[str, Any]:
    """The command as the service sends it: with the e-mail of its sender's account."""
    return {**payload, "actor_email": EMAILS[payload["actor"]]}


def meeting(held_on: date | None = None, **overrides: Any) -> dict[str, Any]:
    payload = {
        "actor": COORDINATOR,
        "held_on": (held_on or today()).isoformat(),
        "format": "face_to_face",
        "attendance": {"learners": 12, "supervisors": 4, "leaders": 2},
    }
    payload.update(overrides)
    return payload


def report(**overrides: Any) -> dict[str, Any]:
    payload = {
        "actor": COORDINATOR,
        "final": True,
        "factual_accuracy_closed_on": today().isoformat(),
        "findings": [
            {"category": "mandatory_requirement", "text": "Night-time supervision rota"},
            {"category": "good_practice", "text": "Teaching programme valued by learners"},
        ],
    }
    payload.update(overrides)
    return payload


def action(finding_id: str = "F1", due_in_days: int = 30, **overrides: Any) -> dict[str, Any]:
    payload = {
        "actor": COORDINATOR,
        "finding_id": finding_id,
        "description": "Publish a rota with a named senior on every night shift",
        "owner_name": "Dr Morgan Hale",
        "owner_email": "dme@northshire.example.nhs.uk",
        "due_on": (today() + timedelta(days=due_in_days)).isoformat(),
    }
    payload.update(overrides)
    return payload


# The happy path from planned to closed, one (command, payload) per step.
URGENT_PATH: list[tuple[Event, dict[str, Any]]] = [
    (Event.convene_panel, urgent_panel()),
    (Event.record_meeting, meeting()),
    (Event.issue_report, report()),
    (Event.add_action, action()),
    (Event.agree_action_plan, {"actor": COORDINATOR}),
    (
        Event.accept_action,
        {
            "actor": COORDINATOR,
            "action_id": "A1",
            "evidence": "Rota for March published; audit shows full cover",
        },
    ),
    (Event.approve_closure, {"actor": DEAN, "role": "dean"}),
    (Event.close, {"actor": COORDINATOR}),
]


# Accepted before the rules comparing people: the provider's lead sits on the panel with no
# conflict declared, and the coordinator approves closure under their own user name.
LEAD_UNDECLARED_PATH: list[tuple[Event, dict[str, Any]]] = [
    (Event.convene_panel, with_lead_on_panel()),
    *URGENT_PATH[1:6],
    (Event.approve_closure, {"actor": COORDINATOR, "role": "dean"}),
    URGENT_PATH[7],
]
# The happy path as the service sends it, each command with its sender's e-mail, and the
# provider's lead on the panel with the conflict declared (managed).
SIGNED_IN_PATH: list[tuple[Event, dict[str, Any]]] = [
    (event, signed_in(payload))
    for event, payload in [(Event.convene_panel, with_lead_on_panel("managed")), *URGENT_PATH[1:]]
]


def tracking_path(
    on: date, due_on: date, actions: int = 1
) -> list[tuple[Event, dict[str, Any]]]:
    """From planned to actions_tracked on day `on`, with `actions` actions due on `due_on`."""
    return [
        (Event.convene_panel, urgent_panel()),
        (Event.record_meeting, meeting(held_on=on)),
        (Event.issue_report, report(factual_accuracy_closed_on=on.isoformat())),
        *[(Event.add_action, action(due_on=due_on.isoformat())) for _ in range(actions)],
        (Event.agree_action_plan, {"actor": COORDINATOR}),
    ]
