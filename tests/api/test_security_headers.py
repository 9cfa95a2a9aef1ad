"""Every response carries the security headers, errors and unexpected failures included; the
Host header is checked before anything else, and nothing the API sends repeats another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.codec import SealingCodec
from core.interventions import Interventions
from core.settings import Settings
from core.users import add_user, issue_token
from models.catalogue import load_catalogue
from models.tables import ApiUserCreate
from models.vocabulary import Role
from tests.api.conftest import MAX_BODY_BYTES, OPERATOR, TEST_HOST, assert_error, settings
from tests.databases import sqlite_read_model

UI_ORIGIN = "http://127.0.0.1:8233"  # the default: http://127.0.0.1:QI_UI_PORT
STRICT = "default-src 'none'"


@pytest.fixture
def read_model(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_read_model(tmp_path)


@pytest.fixture
def token(read_model: Engine) -> str:
    add_user(read_model, ApiUserCreate(name="c.okafor", role=Role.coordinator), operator=OPERATOR)
    return issue_token(read_model, "c.okafor", lifetime=timedelta(days=1), operator=OPERATOR).token


def _app(read_model: Engine, dev_env: WorkflowEnvironment, service: Any = None,
         **values: Any) -> FastAPI:
    catalogue = load_catalogue()
    service = service or Interventions(dev_env.client, task_queue="unused", catalogue=catalogue)
    codec = dev_env.client.data_converter.payload_codec
    assert isinstance(codec, SealingCodec)
    return create_app(service=service, engine=read_model, catalogue=catalogue, codec=codec,
                      settings=settings(**values))


def _client(app: FastAPI, token: str | None = None, **headers: str) -> httpx.AsyncClient:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url=f"http://{TEST_HOST}", headers=headers)


def _assert_secured(response: httpx.Response) -> str:
    """The headers every response carries; returns its Content-Security-Policy."""
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    return csp


class _Broken:
    """A service whose every call fails unexpectedly."""

    async def status(self, *_args: object) -> None:
        raise RuntimeError("something the API did not expect")


async def test_every_kind_of_response_carries_the_security_headers(
    read_model: Engine, token: str, dev_env: WorkflowEnvironment
) -> None:
    app = _app(read_model, dev_env, auth_failure_limit=1)
    broken = _app(read_model, dev_env, service=_Broken())
    preflight = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST"}
    huge = b"{" + b" " * MAX_BODY_BYTES + b"}"
    async with _client(app, token) as caller, _client(app) as anonymous, \
            _client(broken, token) as failing:
        responses = {
            "json": await caller.get("/interventions"),
            "csv": await caller.get("/exports/interventions.csv"),
            "codec": await caller.post("/codec/encode", json={"payloads": []}),
            "404": await caller.get("/no/such/endpoint"),
            "405": await caller.delete("/interventions"),
            "413": await caller.post("/interventions", content=huge,
                                     headers={"Content-Type": "application/json"}),
            "422": await caller.post("/interventions", content=b"{",
                                     headers={"Content-Type": "application/json"}),
            "500": await failing.get("/interventions/QI-2027-0001"),
            "metrics": await anonymous.get("/metrics"),
            "healthz": await anonymous.get("/healthz"),
            "openapi": await anonymous.get("/openapi.json"),
            "asset": await anonymous.get("/docs/assets/swagger-ui-bundle.js"),
            "preflight": await anonymous.options("/codec/decode", headers=preflight),
            "400": await anonymous.get("/healthz", headers={"Host": "elsewhere.example"}),
            "401": await anonymous.get("/interventions"),
            "429": await anonymous.get("/interventions"),
            "docs": await anonymous.get("/docs"),
        }

    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses == {"json": 200, "csv": 200, "codec": 200, "404": 404, "405": 405,
                        "413": 413, "422": 422, "500": 500, "metrics": 200, "healthz": 200,
                        "openapi": 200, "asset": 200, "preflight": 200, "400": 400, "401": 401,
                        "429": 429, "docs": 200}
    policies = {name: _assert_secured(r) for name, r in responses.items()}
    docs = policies.pop("docs")
    assert all(policy.startswith(STRICT) for policy in policies.values())
    assert docs.startswith(STRICT)
    assert "script-src 'self'" in docs
    assert_error(responses["500"], 500, "InternalError")


@pytest.mark.parametrize(
    ("host", "name"),
    [("elsewhere.example", "elsewhere"), ("127.0.0.1.elsewhere.example", "elsewhere"),
     ("localhost.", "localhost"), ("qi.test@elsewhere", "elsewhere"), ("", ""),
     ("[::2]:8000", "::2")],
)
async def test_another_host_is_400_and_never_repeated(
    read_model: Engine, token: str, dev_env: WorkflowEnvironment, host: str, name: str
) -> None:
    app = _app(read_model, dev_env, allowed_hosts=["qi.test", "::1"])
    async with _client(app, token) as client:
        response = await client.get("/interventions/", headers={"Host": host})

    error = assert_error(response, 400, "UnknownHost")
    assert [p["field"] for p in error["problems"]] == ["Host"]
    assert "location" not in response.headers
    assert not name or name not in response.text  # an empty Host has nothing to repeat


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        (["127.0.0.1", "localhost", "::1"], "localhost:8000"),
        (["127.0.0.1", "localhost", "::1"], "127.0.0.1:8000"),
        (["127.0.0.1", "localhost", "::1"], "[::1]:8000"),
        (["127.0.0.1", "localhost", "::1"], "LocalHost"),
        (["*.example.org"], "api.example.org"),
        (["*"], "anything.example"),
    ],
)
async def test_an_allowed_host_is_answered_and_a_redirect_names_it(
    read_model: Engine, token: str, dev_env: WorkflowEnvironment, allowed: list[str], host: str
) -> None:
    app = _app(read_model, dev_env, allowed_hosts=allowed)
    async with _client(app, token) as client:
        redirect = await client.get("/interventions/", headers={"Host": host})

    assert redirect.status_code == 307, redirect.text
    assert redirect.headers["location"] == f"http://{host}/interventions"


@pytest.mark.parametrize("host", ["example.org", "evilexample.org", "api.example.org.evil"])
async def test_a_wildcard_matches_subdomains_only(
    read_model: Engine, dev_env: WorkflowEnvironment, host: str
) -> None:
    app = _app(read_model, dev_env, allowed_hosts=["*.example.org"])
    async with _client(app) as client:
        response = await client.get("/healthz", headers={"Host": host})

    assert_error(response, 400, "UnknownHost")


def test_allowed_hosts_default_to_the_embedded_stacks_and_read_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QI_ALLOWED_HOSTS", raising=False)
    default = Settings(_env_file=None).allowed_hosts  # type: ignore[call-arg]
    monkeypatch.setenv("QI_ALLOWED_HOSTS", " api.example.org, *.corp.example ,LOCALHOST")
    configured = Settings(_env_file=None).allowed_hosts  # type: ignore[call-arg]

    assert default == ["127.0.0.1", "localhost", "::1"]
    assert configured == ["api.example.org", "*.corp.example", "localhost"]
