"""The HTTP API against a real dev server and a real worker, called through httpx's ASGI
transport. Each test gets its own task queue, read model and users; the permission matrix
shares one set per module (`module_api`) because it sends hundreds of requests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.errors import problem_type
from core.interventions import Interventions
from core.settings import Settings
from core.users import add_user, issue_token
from models.bodies import COMMAND_BODIES
from models.commands import Event
from models.errors import ErrorType
from models.tables import ApiUserCreate
from models.vocabulary import Role
from tests import scenario
from tests.live import live_service
from tests.settle import settled

COORDINATOR, DEAN = scenario.COORDINATOR, scenario.DEAN
PANEL, LEAD, VIEWER = "p.member", "lead.rxx01", "v.viewer"
OWN_PROVIDER, OTHER_PROVIDER = "RXX01", "RYY02"
USERS: dict[str, tuple[Role, str | None]] = {
    COORDINATOR: (Role.coordinator, None),
    DEAN: (Role.dean, None),
    PANEL: (Role.panel_member, None),
    LEAD: (Role.provider_lead, OWN_PROVIDER),
    VIEWER: (Role.viewer, None),
}
MAX_BODY_BYTES = 64 * 1024
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Api:
    app: FastAPI
    service: Interventions
    engine: Engine
    tokens: dict[str, str]

    async def settled(self, intervention_id: str) -> None:
        """Wait for the read model and the outbox to catch up with the intervention."""
        await settled(self.service, self.engine, intervention_id)

    def client(self, user: str | None = COORDINATOR, **headers: str) -> httpx.AsyncClient:
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=f"http://{TEST_HOST}",
            headers=headers,
        )


# Allowed hosts in tests alone: the host of the tests' base URL, and Starlette's test client's.
TEST_HOST = "qi.test"
TEST_HOSTS = ["127.0.0.1", "localhost", TEST_HOST, "testserver"]
OPERATOR = "test.operator"


def settings(**values: Any) -> Settings:
    values = {"api_max_body_bytes": MAX_BODY_BYTES, "allowed_hosts": TEST_HOSTS, **values}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_api(env: WorkflowEnvironment, folder: Path) -> AsyncIterator[Api]:
    tokens: dict[str, str] = {}

    def add_users(engine: Engine) -> None:
        for name, (role, provider) in USERS.items():
            add_user(engine, ApiUserCreate(name=name, role=role, provider_code=provider),
                     operator=OPERATOR)
            tokens[name] = issue_token(engine, name, lifetime=timedelta(days=1),
                                       operator=OPERATOR).token

    async with live_service(env, folder, queue="test-api", settings=settings(),
                            add_users=add_users) as live:
        yield Api(app=live.app, service=live.service, engine=live.engine, tokens=tokens)


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(dev_env, tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
async def module_api(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    async with running_api(dev_env, tmp_path_factory.mktemp("api")) as running:
        yield running


class Qi:
    """`qi` as an operator runs it, against the read model at `database_url`, with no QI_
    setting but that one (and what a test adds to `env`)."""

    def __init__(self, database_url: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("QI_")}
        self.env.update(QI_DATABASE_URL=database_url, PYTHONPATH=str(REPO))

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli", *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=60, check=False)

    def ok(self, *args: str) -> str:
        done = self(*args)
        assert done.returncode == 0, f"qi {' '.join(args)}: {done.stderr}"
        return done.stdout


def start_body(**overrides: Any) -> dict[str, Any]:
    """A valid start body: the scenario's, without the coordinator (the caller is)."""
    body = scenario.start_request(**overrides)
    del body["coordinator"]
    return body


def provider(code: str) -> dict[str, Any]:
    return {**scenario.start_request()["provider"], "code": code}


def command_body(payload: dict[str, Any], event: Event | None = None) -> dict[str, Any]:
    """A scenario payload as an HTTP body: only the fields the command's body has (the actor
    is whoever sends it; a closure approval's role follows from their account)."""
    fields = COMMAND_BODIES[event].model_fields if event is not None else None
    return {k: v for k, v in payload.items()
            if k != "actor" and (fields is None or k in fields)}


def command_path(intervention_id: str, event: Event) -> str:
    return f"/interventions/{intervention_id}/{event.value.replace('_', '-')}"


async def start(client: httpx.AsyncClient, **overrides: Any) -> str:
    response = await client.post("/interventions", json=start_body(**overrides))
    assert response.status_code == 201, response.text
    intervention_id: str = response.json()["data"]["intervention_id"]
    return intervention_id


def assert_error(response: httpx.Response, status: int, error_type: str) -> dict[str, Any]:
    """The response has the status and the API's one error format, RFC 9457 problem details
    with the problems as an extension member; returns the body. `error_type` is the
    `ErrorType` name, e.g. CommandRefused (type /problems/command-refused)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    error: dict[str, Any] = response.json()
    assert set(error) == {"type", "title", "status", "detail", "problems"}
    assert error["type"] == problem_type(ErrorType(error_type))
    assert error["status"] == status
    assert error["title"]
    assert error["problems"], "an error names at least one problem"
    assert all(set(p) == {"field", "rule", "message"} for p in error["problems"])
    assert all(p["message"].endswith(".") for p in error["problems"])  # a sentence
    return error


def fields(error: dict[str, Any]) -> set[str]:
    return {p["field"] for p in error["problems"]}
