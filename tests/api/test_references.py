"""A reference works wherever an intervention ID does in the API, and every answer about an
intervention carries it."""

from __future__ import annotations

import pytest

from models.commands import Event
from tests.api.conftest import Api, assert_error, command_path, fields, start_body


async def _started(api: Api) -> tuple[str, str]:
    async with api.client() as client:
        response = await client.post("/interventions", json=start_body())
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return data["reference"], data["intervention_id"]


async def test_a_reference_works_wherever_an_id_does(api: Api) -> None:
    reference, intervention_id = await _started(api)
    async with api.client() as client:
        escalated = await client.post(command_path(reference, Event.escalate),
                                      json={"level": "dean", "reason": "No reply"})
        await api.settled(intervention_id)
        status = await client.get(f"/interventions/{reference.lower()}")
        audit = await client.get(f"/interventions/{reference}/audit")
        schedule = await client.get(f"/interventions/{reference}/schedule")
        listed = await client.get("/interventions")

    assert escalated.status_code == 200, escalated.text
    assert escalated.json()["reference"] == reference
    assert status.json()["data"]["intervention_id"] == intervention_id
    assert status.json()["data"]["escalations"]
    assert [e["command"] for e in audit.json()] == ["start", "escalate"]
    assert schedule.status_code == 200
    assert [(i["reference"], i["id"]) for i in listed.json()["items"]] == [
        (reference, intervention_id)
    ]


@pytest.mark.parametrize("method", ["get", "post"])
async def test_an_unknown_reference_is_404_naming_it(api: Api, method: str) -> None:
    async with api.client() as client:
        if method == "get":
            response = await client.get("/interventions/QI-2027-0042")
        else:
            response = await client.post(command_path("QI-2027-0042", Event.escalate),
                                         json={"level": "dean", "reason": "r"})

    error = assert_error(response, 404, "UnknownReference")
    assert fields(error) == {"intervention_id"}
    assert error["detail"] == "intervention_id: no intervention QI-2027-0042"
