"""Every role against every endpoint. The matrix is written out here, apart from the code's
permission table, and every route the app serves must have a row in it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from models.commands import Event
from tests import scenario
from tests.api.conftest import (
    COORDINATOR,
    DEAN,
    LEAD,
    OTHER_PROVIDER,
    OWN_PROVIDER,
    PANEL,
    VIEWER,
    Api,
    assert_error,
    command_body,
    command_path,
    provider,
    start,
)

USERS = (COORDINATOR, DEAN, PANEL, LEAD, VIEWER)
YES, OWN = "yes", "own provider"
EVERYONE = dict.fromkeys(USERS, YES)
READERS = {**dict.fromkeys((COORDINATOR, DEAN, PANEL, VIEWER), YES), LEAD: OWN}
# A sealed payload does not say whose it is: the codec server is for readers of everything.
EVERY_READER = dict.fromkeys((COORDINATOR, DEAN, PANEL, VIEWER), YES)
ID = "/interventions/{intervention_id}"


def _command(event: Event, *users: str) -> tuple[tuple[str, str], dict[str, str]]:
    allowed = dict.fromkeys((COORDINATOR, *users), YES)
    return ("POST", f"{ID}/{event.value.replace('_', '-')}"), allowed


# (method, route) -> {user: how far they reach}; a user not named is refused (403).
MATRIX: dict[tuple[str, str], dict[str, str]] = dict(
    [
        (("GET", "/me"), EVERYONE),
        (("GET", "/types"), EVERYONE),
        (("GET", "/types/{code}"), EVERYONE),
        (("GET", "/types/{code}/schedule"), EVERYONE),
        (("POST", "/interventions"), {COORDINATOR: YES}),
        (("GET", "/interventions"), READERS),
        (("GET", ID), READERS),
        (("GET", f"{ID}/audit"), READERS),
        (("GET", f"{ID}/schedule"), READERS),
        (("GET", "/exports/interventions.csv"), READERS),
        (("GET", "/exports/actions.csv"), READERS),
        (("GET", "/outbox"), {COORDINATOR: YES}),
        (("POST", "/outbox/{key}/resend"), {COORDINATOR: YES}),
        (("POST", "/codec/decode"), EVERY_READER),
        (("POST", "/codec/encode"), EVERY_READER),
        _command(Event.convene_panel),
        _command(Event.schedule_meeting, PANEL),
        _command(Event.reschedule_meeting, PANEL),
        _command(Event.record_meeting, PANEL),
        _command(Event.issue_report),
        _command(Event.add_action),
        _command(Event.agree_action_plan),
        _command(Event.accept_action),
        _command(Event.transfer_action),
        _command(Event.approve_closure, DEAN),
        _command(Event.close),
        _command(Event.cancel),
        _command(Event.escalate, DEAN),
        _command(Event.pause_clock),
        _command(Event.resume_clock),
    ]
)
MATRIX[("POST", f"{ID}/record-action-progress")] = {COORDINATOR: YES, LEAD: OWN}


@dataclass(frozen=True)
class Fixtures:
    api: Api
    own: str  # an intervention of the provider lead's provider
    other: str  # one of another provider


@pytest.fixture(scope="module")
async def seeded(module_api: Api) -> Fixtures:
    async with module_api.client() as client:
        own = await start(client, provider=provider(OWN_PROVIDER))
        other = await start(client, provider=provider(OTHER_PROVIDER))
    await module_api.settled(own)
    await module_api.settled(other)
    return Fixtures(module_api, own, other)


def test_every_route_the_app_serves_has_a_row_in_the_matrix(module_api: Api) -> None:
    served = {
        (method.upper(), path)
        for path, operations in module_api.app.openapi()["paths"].items()
        for method in operations
    }
    assert len(served) == 32
    # Signing out revokes the token presented, whoever holds it (the matrix's requests would
    # revoke the tokens it runs on; tests/e2e/test_cli_sign_in.py covers it).
    assert served == {*MATRIX, ("DELETE", "/me/token")}


async def _send(client: httpx.AsyncClient, method: str, route: str, intervention_id: str
                ) -> httpx.Response:
    """The request for a route, with an empty body: enough to pass or fail the access check
    and then be refused as invalid or not allowed now, so the intervention never changes."""
    # The start's message, delivered by now: a resend of it is refused (409) past the check.
    key = f"{intervention_id}:1:notify:provider-lead"
    path = route.format(intervention_id=intervention_id, code="urgent_risk_review", key=key)
    params = {"start": "2027-01-04"} if route.endswith("{code}/schedule") else None
    if method == "POST":
        return await client.post(path, json={})
    return await client.get(path, params=params)


def _expect_allowed(response: httpx.Response, method: str) -> None:
    if method == "GET":
        assert response.status_code == 200, response.text
    else:
        # Past the access check, an empty body is invalid (422) or refused now (409).
        assert response.status_code in (409, 422), response.text


CASES = [
    pytest.param(method, route, user, id=f"{method} {route} as {user}")
    for (method, route) in MATRIX
    for user in USERS
]


@pytest.mark.parametrize(("method", "route", "user"), CASES)
async def test_permission_matrix(seeded: Fixtures, method: str, route: str, user: str) -> None:
    reach = MATRIX[(method, route)].get(user)
    async with seeded.api.client(user) as client:
        response = await _send(client, method, route, seeded.own)
        if reach is None:
            assert_error(response, 403, "Forbidden")
            return
        if route.endswith("/approve-closure") and user == COORDINATOR:
            # Past the access check; but the seeded urgent reviews' closure is the dean's, and
            # a coordinator's account approves only as coordinator or quality lead.
            assert "is approved by dean or dean_delegate" in response.text
            assert_error(response, 403, "Forbidden")
            return
        _expect_allowed(response, method)
        if reach == OWN and "{intervention_id}" in route:
            elsewhere = await _send(client, method, route, seeded.other)
            assert_error(elsewhere, 404, "UnknownReference")


async def test_another_providers_intervention_looks_exactly_like_an_unknown_one(
    seeded: Fixtures,
) -> None:
    unknown = "intervention-00000000-0000-4000-8000-000000000000"
    async with seeded.api.client(LEAD) as lead, seeded.api.client(COORDINATOR) as coordinator:
        hidden = await lead.get(f"/interventions/{seeded.other}")
        missing = await coordinator.get(f"/interventions/{unknown}")

    assert hidden.status_code == missing.status_code
    assert hidden.json() == json.loads(missing.text.replace(unknown, seeded.other))


async def test_a_provider_lead_lists_and_exports_their_own_provider_only(
    seeded: Fixtures,
) -> None:
    async with seeded.api.client(LEAD) as lead:
        everything = await lead.get("/interventions")
        asked_for_other = await lead.get("/interventions", params={"provider": OTHER_PROVIDER})
        export = await lead.get("/exports/interventions.csv")

    assert [i["id"] for i in everything.json()["items"]] == [seeded.own]
    assert everything.json()["total"] == 1
    assert asked_for_other.json()["total"] == 0
    assert seeded.own in export.text
    assert seeded.other not in export.text


async def test_a_provider_lead_reports_progress_on_their_own_providers_action(api: Api) -> None:
    async with api.client(COORDINATOR) as coordinator, api.client(LEAD) as lead:
        intervention_id = await start(coordinator, provider=provider(OWN_PROVIDER))
        for event, payload in scenario.URGENT_PATH[:4]:  # up to the first action
            response = await coordinator.post(command_path(intervention_id, event),
                                              json=command_body(payload, event))
            assert response.status_code == 200, response.text
        progress = await lead.post(
            command_path(intervention_id, Event.record_action_progress),
            json={"action_id": "A1", "note": "Draft rota circulated"},
        )
        await api.settled(intervention_id)
        audit = await lead.get(f"/interventions/{intervention_id}/audit")

    assert progress.status_code == 200, progress.text
    assert (audit.json()[-1]["command"], audit.json()[-1]["actor"]) == (
        "record_action_progress", LEAD
    )
