"""An Urgent Risk Review from start to close over HTTP, and what a coordinator reads on the way."""

from __future__ import annotations

import csv
import io

from models.commands import Event
from tests import scenario
from tests.api.conftest import (
    COORDINATOR,
    DEAN,
    Api,
    command_body,
    command_path,
    provider,
    start,
    start_body,
)

# Closure approval of an urgent review is the dean's; every other step the coordinator's.
SENDER = {Event.approve_closure: DEAN}


async def test_urgent_review_runs_from_start_to_close_over_http(api: Api) -> None:
    async with api.client(COORDINATOR) as coordinator, api.client(DEAN) as dean:
        response = await coordinator.post("/interventions", json=start_body())
        assert response.status_code == 201, response.text
        started = response.json()
        intervention_id = started["data"]["intervention_id"]
        assert started["data"]["state"] == "planned"
        assert started["data"]["coordinator"] == COORDINATOR
        assert response.headers["location"] == f"/interventions/{intervention_id}"

        states = []
        for event, payload in scenario.URGENT_PATH:
            client = dean if SENDER.get(event) == DEAN else coordinator
            response = await client.post(command_path(intervention_id, event),
                                         json=command_body(payload, event))
            assert response.status_code == 200, f"{event}: {response.text}"
            assert response.json()["command"] == event.value
            states.append(response.json()["state"])

        status = (await coordinator.get(f"/interventions/{intervention_id}")).json()
        await api.settled(intervention_id)
        audit = (await coordinator.get(f"/interventions/{intervention_id}/audit")).json()

    assert states[-1] == "closed"
    assert status["data"]["state"] == "closed"
    assert status["next_steps"] == []
    # The actor of each command is the user who sent it, not anything in the body.
    assert [(e["command"], e["actor"]) for e in audit] == [
        ("start", COORDINATOR),
        *((event.value, SENDER.get(event, COORDINATOR)) for event, _ in scenario.URGENT_PATH),
    ]


async def test_status_schedule_and_audit_of_a_new_intervention(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        await api.settled(intervention_id)
        status = await client.get(f"/interventions/{intervention_id}")
        schedule = await client.get(f"/interventions/{intervention_id}/schedule")
        audit = await client.get(f"/interventions/{intervention_id}/audit")

    assert status.status_code == 200
    assert {s["command"] for s in status.json()["next_steps"]} >= {"convene_panel", "cancel"}
    assert schedule.status_code == 200
    assert [i["about"] for i in schedule.json() if i["what"] == "deadline"] == ["convene panel"]
    assert [(e["command"], e["to_state"]) for e in audit.json()] == [("start", "planned")]
    for response in (status, schedule, audit):
        assert response.headers["cache-control"] == "no-store"


async def test_list_filters_by_state_type_and_provider_and_pages_with_a_total(api: Api) -> None:
    async with api.client() as client:
        ids = [await start(client, provider=provider("RLIST1")) for _ in range(3)]
        other = await start(client, provider=provider("RLIST2"))
        await client.post(command_path(other, Event.cancel), json={"reason": "Raised in error"})
        for intervention_id in [*ids, other]:
            await api.settled(intervention_id)

        first = (await client.get("/interventions", params={"provider": "RLIST1", "limit": 2}))
        second = await client.get("/interventions",
                                  params={"provider": "RLIST1", "limit": 2, "offset": 2})
        cancelled = await client.get("/interventions", params={"state": "cancelled"})
        by_type = await client.get("/interventions", params={"type": "programme_review"})

    assert first.json()["total"] == 3
    assert [i["id"] for i in first.json()["items"] + second.json()["items"]] == ids[::-1]
    assert [i["id"] for i in cancelled.json()["items"]] == [other]
    assert by_type.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert first.headers["cache-control"] == "no-store"


async def test_types_and_a_types_schedule_from_a_start_date(api: Api) -> None:
    async with api.client() as client:
        types = await client.get("/types")
        urgent = await client.get("/types/Urgent Risk Review")
        plan = await client.get("/types/urgent_risk_review/schedule",
                                params={"start": "2027-01-04"})

    assert [t["code"] for t in types.json()] == [
        "urgent_risk_review", "programme_review", "learner_educator_review",
        "senior_leader_engagement", "specialty_expert_review", "sharing_good_practice",
    ]
    assert urgent.json()["code"] == "urgent_risk_review"
    deadlines = [(i["about"], i["on"]) for i in plan.json() if i["what"] == "deadline"]
    assert [about for about, _ in deadlines] == [
        "convene panel", "first meeting", "draft report", "final report", "action plan"
    ]
    assert all(on > "2027-01-04" for _, on in deadlines)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_exports_interventions_and_actions_as_csv(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client, provider=provider("RCSV1"))
        for event, payload in scenario.URGENT_PATH[:4]:  # up to the first action
            response = await client.post(command_path(intervention_id, event),
                                         json=command_body(payload, event))
            assert response.status_code == 200, response.text
        await api.settled(intervention_id)
        interventions = await client.get("/exports/interventions.csv",
                                          params={"provider": "RCSV1"})
        actions = await client.get("/exports/actions.csv", params={"provider": "RCSV1"})

    assert interventions.headers["content-type"].startswith("text/csv")
    assert interventions.headers["cache-control"] == "no-store"
    rows = _csv(interventions.text)
    assert [(r["id"], r["state"], r["provider_code"]) for r in rows] == [
        (intervention_id, "report_issued", "RCSV1")
    ]
    action_rows = _csv(actions.text)
    assert [(r["intervention_id"], r["id"], r["finding_id"], r["status"]) for r in action_rows] == [
        (intervention_id, "A1", "F1", "open")
    ]


async def test_csv_cells_that_a_spreadsheet_would_run_are_quoted_as_text(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(
            client, provider={**provider("RCSV2"), "name": "=HYPERLINK(\"x\")"}
        )
        await api.settled(intervention_id)
        export = await client.get("/exports/interventions.csv", params={"provider": "RCSV2"})

    assert _csv(export.text)[0]["provider_name"] == "'=HYPERLINK(\"x\")"
