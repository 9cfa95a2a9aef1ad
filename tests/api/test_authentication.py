"""Authentication comes first: a request without valid credentials is 401 whatever its body,
which is never read; repeated failures from one client are throttled (429, `Retry-After`)
until the window passes; a malformed body from an authenticated caller is 422. On SQLite and
PostgreSQL (tokens are looked up in the read model)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.codec import SealingCodec
from core.interventions import Interventions
from core.users import add_user, issue_token
from models.catalogue import load_catalogue
from models.tables import ApiUserCreate
from models.vocabulary import Role
from tests.api.conftest import MAX_BODY_BYTES, OPERATOR, TEST_HOST, assert_error, fields, settings
from tests.databases import database_url, engine, postgres_url  # noqa: F401 (fixtures)

LIMIT, WINDOW = 3, 60.0
UNKNOWN_TOKEN = "qi_" + "u" * 43


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Served:
    """The app with one coordinator, its throttle timed by `clock`; `reads` counts the body
    messages the app has taken from each request."""

    app: FastAPI
    token: str
    clock: Clock
    reads: list[int] = field(default_factory=list)

    async def _spied(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reads.append(0)
        index = len(self.reads) - 1

        async def counted() -> Message:
            self.reads[index] += 1
            return await receive()

        await self.app(scope, counted, send)

    def client(self, token: str | None = None, address: str = "127.0.0.1") -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=self._spied, client=(address, 50_000))
        return httpx.AsyncClient(transport=transport, base_url=f"http://{TEST_HOST}",
                                 headers=headers)


def _served(engine: Engine, dev_env: WorkflowEnvironment, limit: int) -> Served:  # noqa: F811
    add_user(engine, ApiUserCreate(name="c.okafor", role=Role.coordinator), operator=OPERATOR)
    token = issue_token(engine, "c.okafor", lifetime=timedelta(days=1), operator=OPERATOR).token
    catalogue = load_catalogue()
    service = Interventions(dev_env.client, task_queue="unused", catalogue=catalogue)
    clock = Clock()
    codec = dev_env.client.data_converter.payload_codec
    assert isinstance(codec, SealingCodec)
    app = create_app(service=service, engine=engine, catalogue=catalogue, clock=clock,
                     codec=codec, settings=settings(auth_failure_limit=limit,
                                                    auth_failure_window_seconds=WINDOW))
    return Served(app=app, token=token, clock=clock)


@pytest.fixture
def served(engine: Engine, dev_env: WorkflowEnvironment) -> Served:  # noqa: F811
    return _served(engine, dev_env, LIMIT)


@pytest.fixture
def unthrottled(engine: Engine, dev_env: WorkflowEnvironment) -> Served:  # noqa: F811
    return _served(engine, dev_env, 1_000_000)


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document: its method, and its path with values in."""
    values = {"intervention_id": "QI-2027-0001", "key": "some-message", "code": "urgent"}
    return sorted((method.upper(), re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path))
                  for path, operations in app.openapi()["paths"].items()
                  for method in operations)


def _post_paths(app: FastAPI) -> list[str]:
    return [path for method, path in _operations(app) if method == "POST"]


BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "malformed-json": (b'{"type": "urgent', {"Content-Type": "application/json"}),
    "not-utf8": (b'{"reason": "\xff\xfe"}', {"Content-Type": "application/json"}),
    "text-plain": (b'{"reason": "r"}', {"Content-Type": "text/plain"}),
    "empty": (b"", {"Content-Type": "application/json"}),
    "valid": (b'{"reason": "r", "level": "dean"}', {"Content-Type": "application/json"}),
    "declared-over-the-limit": (b"{}", {"Content-Type": "application/json",
                                        "Content-Length": str(MAX_BODY_BYTES + 1)}),
}


async def test_every_operation_the_api_documents_needs_a_token(unthrottled: Served) -> None:
    operations = _operations(unthrottled.app)
    async with unthrottled.client() as client:
        responses = [await client.request(method, path) for method, path in operations]

    assert {path for _, path in operations} >= {"/interventions", "/me", "/codec/decode",
                                                "/interventions/QI-2027-0001/close"}
    assert [r.status_code for r in responses] == [401] * len(operations)


@pytest.mark.parametrize("token", [None, UNKNOWN_TOKEN], ids=["no-token", "unknown-token"])
@pytest.mark.parametrize("body", list(BODIES))
async def test_without_valid_credentials_every_body_is_401_and_never_read(
    unthrottled: Served, token: str | None, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    content, headers = BODIES[body]
    paths = _post_paths(unthrottled.app)
    with caplog.at_level(logging.WARNING, logger="qi.api.access"):
        async with unthrottled.client(token) as client:
            responses = [await client.post(path, content=content, headers=headers)
                         for path in paths]

    for response in responses:
        assert_error(response, 401, "NotAuthenticated")
    assert unthrottled.reads == [0] * len(paths)
    reason = "no bearer token" if token is None else "unknown token"
    assert [re.sub(r"route=\S+", "route=R", m) for m in caplog.messages] == [
        f"denied user=- role=- method=POST route=R reason={reason}"] * len(paths)


async def test_with_credentials_the_body_is_read_and_checked(unthrottled: Served) -> None:
    content, headers = BODIES["declared-over-the-limit"]
    async with unthrottled.client(unthrottled.token) as client:
        too_large = await client.post("/interventions", content=content, headers=headers)
        empty = await client.post("/interventions", json=None)

    assert_error(too_large, 413, "PayloadTooLarge")
    assert fields(assert_error(empty, 422, "InvalidInput")) == {"body"}
    assert unthrottled.reads[-1] >= 1


@pytest.mark.parametrize("path", ["/interventions", "/interventions/QI-2027-0001/escalate",
                                  "/codec/decode"])
@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("malformed-json", "not valid JSON"),
        ("not-utf8", "not valid JSON (not UTF-8 text)"),
        ("text-plain", "must be JSON, sent with Content-Type: application/json"),
        ("empty", "a JSON body is required"),
    ],
)
async def test_a_malformed_body_is_422_at_the_body_in_the_one_format(
    unthrottled: Served, path: str, body: str, rule: str
) -> None:
    content, headers = BODIES[body]
    async with unthrottled.client(unthrottled.token) as client:
        response = await client.post(path, content=content, headers=headers)

    error = assert_error(response, 422, "InvalidInput")
    assert [p["field"] for p in error["problems"]] == ["body"]
    assert rule in error["problems"][0]["rule"]


async def test_a_json_value_that_is_not_an_object_is_422_saying_so(unthrottled: Served) -> None:
    async with unthrottled.client(unthrottled.token) as client:
        response = await client.post("/interventions", json=["urgent_risk_review"])

    assert assert_error(response, 422, "InvalidInput")["problems"][0]["rule"] == (
        "must be a JSON object")


async def test_repeated_failures_from_one_client_get_429_until_the_window_passes(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="qi.api.access"):
        async with served.client(UNKNOWN_TOKEN) as guesser, \
                served.client(served.token) as same_client, \
                served.client(served.token, address="192.0.2.7") as elsewhere:
            failures = [await guesser.get("/interventions") for _ in range(LIMIT)]
            throttled = await same_client.get("/interventions")
            served.clock.now += WINDOW - 0.5
            still = await guesser.get("/interventions")
            other_client = await elsewhere.get("/interventions")
            served.clock.now += 1
            after_the_window = await same_client.get("/interventions")

    assert [r.status_code for r in failures] == [401] * LIMIT
    error = assert_error(throttled, 429, "TooManyRequests")
    assert fields(error) == {"Authorization"}
    assert throttled.headers["retry-after"] == str(int(WINDOW))
    assert_error(still, 429, "TooManyRequests")
    assert still.headers["retry-after"] == "1"
    assert other_client.status_code == 200, other_client.text
    assert after_the_window.status_code == 200, after_the_window.text
    assert caplog.messages.count("denied user=- role=- method=GET route=/interventions "
                                 "reason=too many failed authentications from 127.0.0.1") == 2


async def test_successful_requests_neither_count_nor_forgive_failures(served: Served) -> None:
    async with served.client(UNKNOWN_TOKEN) as guesser, \
            served.client(served.token) as caller:
        early = [await guesser.get("/interventions") for _ in range(LIMIT - 1)]
        successes = [await caller.get("/interventions") for _ in range(5 * LIMIT)]
        last_allowed = await guesser.get("/interventions")
        throttled = await caller.get("/interventions")

    assert [r.status_code for r in early] == [401] * (LIMIT - 1)
    assert {r.status_code for r in successes} == {200}
    assert_error(last_allowed, 401, "NotAuthenticated")
    assert_error(throttled, 429, "TooManyRequests")


async def test_a_throttled_client_still_reaches_the_probes(served: Served) -> None:
    async with served.client(UNKNOWN_TOKEN) as guesser:
        for _ in range(LIMIT):
            await guesser.get("/interventions")
        throttled = await guesser.get("/types")
        alive = await guesser.get("/healthz")

    assert throttled.status_code == 429
    assert alive.status_code == 200
