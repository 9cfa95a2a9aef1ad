"""Idempotency-Key: a retried start or command returns the first result and changes nothing."""

from __future__ import annotations

from models.commands import Event
from tests import scenario
from tests.api.conftest import (
    COORDINATOR,
    DEAN,
    Api,
    assert_error,
    command_body,
    command_path,
    start_body,
)

PANEL = command_body(scenario.urgent_panel())


async def _audit(api: Api, intervention_id: str) -> list[dict[str, object]]:
    await api.settled(intervention_id)
    async with api.client() as client:
        response = await client.get(f"/interventions/{intervention_id}/audit")
    assert response.status_code == 200
    entries: list[dict[str, object]] = response.json()
    return entries


async def test_a_retried_start_returns_the_same_intervention_started_once(api: Api) -> None:
    async with api.client(**{"Idempotency-Key": "start-7f3a"}) as client:
        first = await client.post("/interventions", json=start_body())
        intervention_id = first.json()["data"]["intervention_id"]
        await client.post(command_path(intervention_id, Event.convene_panel), json=PANEL)
        retried = await client.post("/interventions", json=start_body())
        await api.settled(intervention_id)
        listed = await client.get("/interventions", params={"provider": "RXX01"})

    assert (first.status_code, retried.status_code) == (201, 201)
    # The first answer, although the intervention has moved on since.
    assert retried.json() == first.json()
    assert retried.json()["data"]["state"] == "planned"
    assert [i["id"] for i in listed.json()["items"]] == [intervention_id]


async def test_different_keys_start_different_interventions(api: Api) -> None:
    async with api.client() as client:
        first = await client.post("/interventions", json=start_body(),
                                  headers={"Idempotency-Key": "one"})
        second = await client.post("/interventions", json=start_body(),
                                   headers={"Idempotency-Key": "two"})

    assert first.json()["data"]["intervention_id"] != second.json()["data"]["intervention_id"]


async def test_a_retried_command_returns_the_first_result_and_adds_no_audit_entry(
    api: Api,
) -> None:
    async with api.client() as client:
        started = await client.post("/interventions", json=start_body())
        intervention_id = started.json()["data"]["intervention_id"]
        path = command_path(intervention_id, Event.escalate)
        body = {"level": "dean", "reason": "No reply from the trust"}
        first = await client.post(path, json=body, headers={"Idempotency-Key": "esc-1"})
        audit_after_first = await _audit(api, intervention_id)
        retried = await client.post(path, json=body, headers={"Idempotency-Key": "esc-1"})
        audit_after_retry = await _audit(api, intervention_id)
        status = await client.get(f"/interventions/{intervention_id}")

    assert (first.status_code, retried.status_code) == (200, 200)
    assert retried.json() == first.json()
    assert audit_after_retry == audit_after_first
    assert [e["command"] for e in audit_after_retry] == ["start", "escalate"]
    assert len(status.json()["data"]["escalations"]) == 1


async def test_a_command_sent_again_without_a_key_is_a_new_command(api: Api) -> None:
    """The counterpart of the test above: without the key, the same escalation is recorded
    twice, so the key is what prevents it."""
    async with api.client() as client:
        started = await client.post("/interventions", json=start_body())
        intervention_id = started.json()["data"]["intervention_id"]
        path = command_path(intervention_id, Event.escalate)
        body = {"level": "dean", "reason": "No reply from the trust"}
        first = await client.post(path, json=body)
        second = await client.post(path, json=body)

    assert second.json()["seq"] == first.json()["seq"] + 1
    assert [e["command"] for e in await _audit(api, intervention_id)] == [
        "start", "escalate", "escalate"
    ]


async def test_one_key_from_two_users_is_two_commands(api: Api) -> None:
    """Keys are scoped to the user: one user's key never answers with another's result."""
    async with api.client(COORDINATOR) as coordinator, api.client(DEAN) as dean:
        started = await coordinator.post("/interventions", json=start_body())
        intervention_id = started.json()["data"]["intervention_id"]
        path = command_path(intervention_id, Event.escalate)
        body = {"level": "dean", "reason": "No reply from the trust"}
        mine = await coordinator.post(path, json=body, headers={"Idempotency-Key": "k"})
        theirs = await dean.post(path, json=body, headers={"Idempotency-Key": "k"})

    assert theirs.json()["seq"] == mine.json()["seq"] + 1
    audit = await _audit(api, intervention_id)
    assert [(e["command"], e["actor"]) for e in audit][1:] == [
        ("escalate", COORDINATOR), ("escalate", DEAN)
    ]


async def test_a_retried_refusal_is_refused_again(api: Api) -> None:
    async with api.client(**{"Idempotency-Key": "close-early"}) as client:
        started = await client.post("/interventions", json=start_body())
        intervention_id = started.json()["data"]["intervention_id"]
        path = command_path(intervention_id, Event.close)
        first = await client.post(path, json={})
        retried = await client.post(path, json={})

    refusal = assert_error(first, 409, "CommandRefused")
    assert assert_error(retried, 409, "CommandRefused") == refusal


async def test_an_idempotency_key_must_be_short_printable_ascii(api: Api) -> None:
    async with api.client() as client:
        response = await client.post("/interventions", json=start_body(),
                                     headers={"Idempotency-Key": "x" * 201})

    assert {p["field"] for p in assert_error(response, 422, "InvalidInput")["problems"]} == {
        "Idempotency-Key"
    }
