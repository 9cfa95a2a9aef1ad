"""Every refusal has its status and the one error format, and nothing invalid reaches Temporal."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from api.errors import STATUS_FOR, TITLE_FOR, problem_type
from models.commands import Event
from models.errors import ErrorType
from tests import scenario
from tests.api.conftest import (
    MAX_BODY_BYTES,
    VIEWER,
    Api,
    assert_error,
    command_body,
    command_path,
    fields,
    start,
    start_body,
)

UNKNOWN_ID = "intervention-00000000-0000-4000-8000-000000000000"
README = Path(__file__).resolve().parents[2] / "README.md"


async def test_close_while_planned_is_refused_with_the_lifecycles_reason(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(command_path(intervention_id, Event.close), json={})

    error = assert_error(response, 409, "CommandRefused")
    assert "close is not allowed while the intervention is planned" in error["detail"]
    assert "convene_panel" in error["detail"]  # what is allowed instead


async def test_a_guard_refusal_names_the_field_that_breaks_the_rule(api: Api) -> None:
    panel = command_body(scenario.urgent_panel())
    panel["members"] = [m for m in panel["members"] if "external_member" not in m["roles"]]
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(command_path(intervention_id, Event.convene_panel),
                                     json=panel)

    error = assert_error(response, 409, "CommandRefused")
    assert "external_member" in error["detail"]


async def test_a_command_to_a_cancelled_intervention_is_refused_not_unknown(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        await client.post(command_path(intervention_id, Event.cancel), json={"reason": "Dup"})
        response = await client.post(command_path(intervention_id, Event.escalate),
                                     json={"level": "dean", "reason": "Too late"})

    error = assert_error(response, 409, "CommandRefused")
    assert "cancelled" in error["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["concern"].update(likelihood=9), "concern.likelihood"),
        (lambda b: b["concern"].update(likelihood="high"), "concern.likelihood"),
        (lambda b: b.update(colour="red"), "colour"),
        (lambda b: b.update(coordinator="someone.else"), "coordinator"),  # the caller is
        (lambda b: b["provider"].pop("site"), "provider.site"),
        (lambda b: b["concern"].update(summary="x" * 201), "concern.summary"),
        (lambda b: b.update(provider=["RXX01"]), "provider"),
    ],
    ids=["likelihood-out-of-range", "likelihood-not-a-number", "unknown-field",
         "coordinator-is-not-a-field", "missing-field", "text-too-long", "wrong-type"],
)
async def test_an_invalid_start_is_422_naming_the_field(
    api: Api, change: Callable[[dict[str, Any]], object], field: str
) -> None:
    body = start_body()
    change(body)
    async with api.client() as client:
        response = await client.post("/interventions", json=body)

    assert field in fields(assert_error(response, 422, "InvalidInput"))


async def test_each_problem_keeps_its_field_and_says_it_in_a_sentence(api: Api) -> None:
    body = start_body()
    body["concern"].update(likelihood=9)
    async with api.client() as client:
        response = await client.post("/interventions", json=body)

    error = assert_error(response, 422, "InvalidInput")
    assert error["title"] == "Invalid input"
    assert error["problems"] == [{
        "field": "concern.likelihood",
        "rule": "Input should be less than or equal to 5",
        "message": "concern.likelihood is not accepted: input should be less than or equal to 5.",
    }]
    assert error["detail"] == "concern.likelihood: Input should be less than or equal to 5"


def test_the_readme_error_table_is_the_one_the_api_serves() -> None:
    rows = re.findall(r"^\| (\d{3}) \| `(/problems/[a-z-]+)` \| ([^|]+) \|", README.read_text(),
                      re.M)
    documented = {(int(status), kind, title.strip()) for status, kind, title in rows}
    served = {(STATUS_FOR[e], problem_type(e), TITLE_FOR[e]) for e in STATUS_FOR
              if STATUS_FOR[e] < 500 or e is ErrorType.UNAVAILABLE}
    assert documented == served


async def test_a_low_risk_start_without_justification_is_422_naming_the_rule(api: Api) -> None:
    body = start_body()
    body["concern"].update(likelihood=1, impact=2)
    async with api.client() as client:
        response = await client.post("/interventions", json=body)

    error = assert_error(response, 422, "InvalidInput")
    assert any(p["field"].startswith("concern") for p in error["problems"])


async def test_malformed_json_is_422_at_the_body(api: Api) -> None:
    async with api.client() as client:
        response = await client.post("/interventions", content=b'{"type": "urgent',
                                     headers={"Content-Type": "application/json"})

    error = assert_error(response, 422, "InvalidInput")
    assert fields(error) == {"body"}
    assert "not valid JSON" in error["detail"]


async def test_a_command_body_naming_the_actor_is_refused(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(command_path(intervention_id, Event.escalate),
                                     json={"level": "dean", "reason": "r", "actor": "dean.patel"})

    assert fields(assert_error(response, 422, "InvalidInput")) == {"actor"}


async def test_a_command_with_wrong_types_is_422_naming_each_field(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(
            command_path(intervention_id, Event.record_meeting),
            json={"held_on": "yesterday", "format": "telepathy", "attendance": {"learners": -1}},
        )

    assert fields(assert_error(response, 422, "InvalidInput")) == {
        "held_on", "format", "attendance.learners"
    }


async def test_a_contract_validator_still_runs_on_the_http_body(api: Api) -> None:
    panel = command_body(scenario.urgent_panel())
    panel["members"].append(dict(panel["members"][0]))
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(command_path(intervention_id, Event.convene_panel),
                                     json=panel)

    assert fields(assert_error(response, 422, "InvalidInput")) == {"members"}


async def test_bad_query_parameters_are_422_naming_them(api: Api) -> None:
    async with api.client() as client:
        listed = await client.get("/interventions", params={"state": "lost", "limit": 0})
        plan = await client.get("/types/urgent_risk_review/schedule", params={"start": "soon"})

    assert fields(assert_error(listed, 422, "InvalidInput")) == {"state", "limit"}
    assert fields(assert_error(plan, 422, "InvalidInput")) == {"start"}


@pytest.mark.parametrize(
    "path",
    [
        f"/interventions/{UNKNOWN_ID}",
        f"/interventions/{UNKNOWN_ID}/audit",
        f"/interventions/{UNKNOWN_ID}/schedule",
        "/interventions/not-an-id",
        "/types/no_such_type",
        "/types/no_such_type/schedule?start=2027-01-04",
        "/no/such/endpoint",
    ],
)
async def test_unknown_ids_are_404(api: Api, path: str) -> None:
    async with api.client() as client:
        response = await client.get(path)

    assert_error(response, 404, "UnknownReference")


async def test_a_command_to_an_unknown_intervention_is_404(api: Api) -> None:
    async with api.client() as client:
        response = await client.post(command_path(UNKNOWN_ID, Event.escalate),
                                     json={"level": "dean", "reason": "r"})

    assert fields(assert_error(response, 404, "UnknownReference")) == {"intervention_id"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer qi_not-a-real-token", "Basic Yzpvaw==", "Bearer "],
    ids=["missing", "unknown-token", "wrong-scheme", "empty"],
)
async def test_no_valid_token_is_401(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with api.client(None, **headers) as client:
        response = await client.get("/interventions")

    assert_error(response, 401, "NotAuthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_role_without_the_permission_is_403(api: Api) -> None:
    async with api.client(VIEWER) as viewer:
        response = await viewer.post("/interventions", json=start_body())

    assert fields(assert_error(response, 403, "Forbidden")) == {"role"}


async def test_a_coordinator_may_not_approve_closure_of_an_urgent_review(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(command_path(intervention_id, Event.approve_closure))

    error = assert_error(response, 403, "Forbidden")
    assert "is approved by dean or dean_delegate" in error["detail"]
    assert "a coordinator's account approves as none of these" in error["detail"]


async def test_no_one_can_claim_an_approver_role_in_the_body(api: Api) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        response = await client.post(command_path(intervention_id, Event.approve_closure),
                                     json={"role": "dean"})

    assert fields(assert_error(response, 422, "InvalidInput")) == {"role"}


async def test_a_body_over_the_limit_is_413_before_it_is_parsed(api: Api) -> None:
    huge = b'{"type": "' + b"x" * MAX_BODY_BYTES + b'"}'
    async with api.client() as client:
        declared = await client.post("/interventions", content=huge,
                                     headers={"Content-Type": "application/json"})
        streamed = await client.post("/interventions", content=_chunks(huge),
                                     headers={"Content-Type": "application/json"})

    assert_error(declared, 413, "PayloadTooLarge")
    assert_error(streamed, 413, "PayloadTooLarge")
    assert "content-length" not in {k.lower() for k in streamed.request.headers}


async def _chunks(data: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at:at + size]


async def test_a_body_just_under_the_limit_is_parsed(api: Api) -> None:
    body = start_body()
    body["concern"]["summary"] = "x" * 100
    padding = MAX_BODY_BYTES - len(json.dumps(body).encode()) - 20
    raw = json.dumps(body).replace('"type"', " " * padding + '"type"', 1).encode()
    assert len(raw) <= MAX_BODY_BYTES
    async with api.client() as client:
        response = await client.post("/interventions", content=raw,
                                     headers={"Content-Type": "application/json"})

    assert response.status_code == 201, response.text


async def test_denials_are_logged_without_body_or_learner_data(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    body = start_body()
    body["concern"]["summary"] = "Learner Jo Bloggs reported"
    with caplog.at_level(logging.WARNING, logger="qi.api.access"):
        async with api.client(VIEWER) as viewer:
            await viewer.post("/interventions", json=body)
        async with api.client(None) as anonymous:
            await anonymous.get(f"/interventions/{UNKNOWN_ID}")

    lines = [r.getMessage() for r in caplog.records if r.name == "qi.api.access"]
    assert lines == [
        "denied user=v.viewer role=viewer method=POST route=/interventions "
        "reason=role may not start",
        "denied user=- role=- method=GET route=/interventions/{intervention_id} "
        "reason=no bearer token",
    ]
