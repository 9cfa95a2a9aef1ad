"""The codec server: Temporal's remote codec contract, for users with a token who may read
every intervention, answering browsers from the Web UI's origin only."""

from __future__ import annotations

import base64
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from tests import scenario
from tests.api.conftest import COORDINATOR, LEAD, VIEWER, Api, assert_error, start
from tests.environments import sealed

UI_ORIGIN = "http://127.0.0.1:8233"  # the default: http://127.0.0.1:QI_UI_PORT
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'"Night-time supervision rota"')


def _json(payload: Payload) -> dict[str, Any]:
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
            "data": base64.b64encode(payload.data).decode()}


def _payload(document: dict[str, Any]) -> Payload:
    return Payload(metadata={k: base64.b64decode(v) for k, v in document["metadata"].items()},
                   data=base64.b64decode(document["data"]))


async def _sealed(payload: Payload = PLAIN) -> Payload:
    codec = sealed().payload_codec
    assert codec is not None
    (result,) = await codec.encode([payload])
    return result


async def test_decode_opens_what_the_workers_sealed(api: Api) -> None:
    async with api.client(VIEWER) as client:
        response = await client.post("/codec/decode",
                                     json={"payloads": [_json(await _sealed()), _json(PLAIN)]})

    assert response.status_code == 200, response.text
    assert [_payload(p) for p in response.json()["payloads"]] == [PLAIN, PLAIN]


async def test_a_started_interventions_input_decodes_through_the_server(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    async with api.client() as client:
        intervention_id = await start(client)
        history = await dev_env.client.get_workflow_handle(intervention_id).fetch_history()
        sealed_input = history.events[0].workflow_execution_started_event_attributes.input
        response = await client.post(
            "/codec/decode", json={"payloads": [_json(p) for p in sealed_input.payloads]})

    assert response.status_code == 200, response.text
    (opened,) = response.json()["payloads"]
    assert scenario.start_request()["concern"]["summary"].encode() in _payload(opened).data


async def test_encode_seals_with_the_current_key(api: Api) -> None:
    async with api.client(COORDINATOR) as client:
        encoded = await client.post("/codec/encode", json={"payloads": [_json(PLAIN)]})
        (sealed_json,) = encoded.json()["payloads"]
        decoded = await client.post("/codec/decode", json={"payloads": [sealed_json]})

    assert _payload(sealed_json).metadata["encoding"] == b"binary/encrypted"
    assert b"supervision" not in _payload(sealed_json).data
    assert [_payload(p) for p in decoded.json()["payloads"]] == [PLAIN]


async def test_the_codec_server_refuses_without_a_token(api: Api) -> None:
    async with api.client(None) as client:
        for route in ("/codec/decode", "/codec/encode"):
            response = await client.post(route, json={"payloads": [_json(await _sealed())]})
            assert_error(response, 401, "NotAuthenticated")


async def test_a_provider_lead_may_not_open_payloads(api: Api) -> None:
    # A payload does not say whose intervention it belongs to.
    async with api.client(LEAD) as client:
        response = await client.post("/codec/decode", json={"payloads": [_json(await _sealed())]})
    assert_error(response, 403, "Forbidden")


async def test_a_payload_under_an_unknown_key_or_not_base64_is_invalid(api: Api) -> None:
    stranger = Payload(metadata={"encoding": b"binary/encrypted",
                                 "encryption-key-id": b"k19990101-00000000"}, data=b"x" * 40)
    async with api.client() as client:
        unknown = await client.post("/codec/decode", json={"payloads": [_json(stranger)]})
        garbled = await client.post("/codec/decode",
                                    json={"payloads": [{"metadata": {}, "data": "%%%"}]})

    assert "not in the key file" in assert_error(unknown, 422, "InvalidInput")["detail"]
    assert_error(garbled, 422, "InvalidInput")


async def test_a_browser_on_the_web_uis_origin_may_call_it(api: Api) -> None:
    preflight_headers = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
                         "Access-Control-Request-Headers": "authorization,content-type,x-namespace"}
    async with api.client(None) as client:
        preflight = await client.options("/codec/decode", headers=preflight_headers)
    async with api.client(VIEWER, Origin=UI_ORIGIN) as client:
        decoded = await client.post("/codec/decode", json={"payloads": [_json(PLAIN)]})
    async with api.client(None, Origin=UI_ORIGIN) as client:
        refused = await client.post("/codec/decode", json={"payloads": [_json(PLAIN)]})

    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert decoded.headers["access-control-allow-origin"] == UI_ORIGIN
    # The UI can read the refusal, so it can say the token is missing.
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == UI_ORIGIN


async def test_no_other_origin_and_no_other_route_gets_cors_headers(api: Api) -> None:
    elsewhere = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    async with api.client(None) as client:
        preflight = await client.options("/codec/decode", headers=elsewhere)
    async with api.client(VIEWER, Origin="http://evil.example") as client:
        decoded = await client.post("/codec/decode", json={"payloads": [_json(PLAIN)]})
    async with api.client(VIEWER, Origin=UI_ORIGIN) as client:
        listed = await client.get("/interventions")

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in decoded.headers
    assert listed.status_code == 200
    assert "access-control-allow-origin" not in listed.headers
