"""Who is behind a request is the token's user, in every field that names them: the actor,
the coordinator of a start and their e-mail, the approver's role; none of it can be typed."""

from __future__ import annotations

from datetime import timedelta

from core.users import add_user, issue_token
from models.commands import Event
from models.tables import ApiUserCreate
from models.vocabulary import Role
from tests.api.conftest import OPERATOR, Api, assert_error, command_path, start_body

OWN_EMAIL = "e.mail@quality.example.nhs.uk"


def _with_email(api: Api) -> str:
    add_user(api.engine, ApiUserCreate(name="e.mail", role=Role.coordinator, email=OWN_EMAIL),
             operator=OPERATOR)
    api.tokens["e.mail"] = issue_token(api.engine, "e.mail", lifetime=timedelta(days=1),
                                       operator=OPERATOR).token
    return "e.mail"


async def test_the_coordinators_email_is_their_accounts(api: Api) -> None:
    body = start_body()
    del body["coordinator_email"]
    async with api.client(_with_email(api)) as client:
        started = await client.post("/interventions", json=body)
        same = await client.post("/interventions", json={**body, "coordinator_email":
                                                         OWN_EMAIL.upper()})
        other = await client.post("/interventions", json={**body, "coordinator_email":
                                                          "someone.else@example.nhs.uk"})

    assert started.status_code == 201, started.text
    assert started.json()["data"]["coordinator"] == "e.mail"
    assert started.json()["data"]["coordinator_email"] == OWN_EMAIL
    assert same.status_code == 201, same.text
    error = assert_error(other, 422, "InvalidInput")
    assert error["problems"][0]["field"] == "coordinator_email"
    assert f"must be your own e-mail, {OWN_EMAIL}" in error["problems"][0]["rule"]


async def test_an_account_without_an_email_must_give_one_to_start(api: Api) -> None:
    body = start_body()
    del body["coordinator_email"]
    async with api.client() as client:  # the test coordinator has no e-mail on their account
        refused = await client.post("/interventions", json=body)
        listed = await client.get("/interventions")

    error = assert_error(refused, 422, "InvalidInput")
    assert error["problems"][0]["field"] == "coordinator_email"
    assert "your account has no e-mail" in error["problems"][0]["rule"]
    assert listed.json()["total"] == 0  # nothing was started


async def test_a_command_body_cannot_name_its_actor(api: Api) -> None:
    async with api.client() as client:
        started = await client.post("/interventions", json=start_body())
        intervention_id = started.json()["data"]["intervention_id"]
        forged = await client.post(command_path(intervention_id, Event.escalate),
                                   json={"actor": "dean.patel", "level": "dean",
                                         "actor_email": "dean.patel@example.nhs.uk",
                                         "reason": "No reply from the trust"})

    error = assert_error(forged, 422, "InvalidInput")
    assert sorted(p["field"] for p in error["problems"]) == ["actor", "actor_email"]
