"""The pages, password sign-in and sessions: on SQLite and PostgreSQL for what the database
keeps, through httpx's ASGI transport for what a browser sees (no Temporal: nothing here starts
or reads an intervention), and in Chromium for what a person does."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import create_app
from core.codec import SealingCodec
from core.sessions import set_password
from core.settings import Settings
from core.users import add_user, issue_token
from models.catalogue import load_catalogue
from models.tables import ApiUserCreate
from models.vocabulary import Role
from tests.databases import database_url, engine, postgres_url, sqlite_read_model  # noqa: F401
from tests.environments import sealed

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

    from tests.pages.stack import LiveSite

PASSWORD = "correct horse battery staple"
COORDINATOR, LEAD, VIEWER = "c.okafor", "lead.rxx01", "v.viewer"
UI_ORIGIN = "http://127.0.0.1:8233"  # the default: http://127.0.0.1:QI_UI_PORT
OPERATOR = "ops.admin"  # who runs `qi` in these tests


def token_for(read_model: Engine, name: str) -> str:
    return issue_token(read_model, name, lifetime=timedelta(days=1), operator=OPERATOR).token


def add_with_password(read_model: Engine, name: str, role: Role = Role.coordinator,
                      provider: str | None = None, email: str | None = None) -> None:
    add_user(read_model, ApiUserCreate(name=name, role=role, provider_code=provider, email=email),
             operator=OPERATOR)
    set_password(read_model, name, PASSWORD, datetime.now(UTC), operator=OPERATOR)


def page_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


@dataclass
class Site:
    """The API's app with three users who have passwords (and tokens), and a way to browse it."""

    app: FastAPI
    engine: Engine
    tokens: dict[str, str]

    def browser(self, base_url: str = "http://127.0.0.1:8000", **headers: str) -> httpx.AsyncClient:
        """A client that keeps cookies, as a browser does."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url,
                                 headers=headers)


def build_site(read_model: Engine, clock: Callable[[], float] = time.monotonic,
               **settings: Any) -> Site:
    tokens = {}
    for name, role, provider in ((COORDINATOR, Role.coordinator, None),
                                 (LEAD, Role.provider_lead, "RXX01"),
                                 (VIEWER, Role.viewer, None)):
        add_with_password(read_model, name, role, provider, email=f"{name}@example.nhs.uk")
        tokens[name] = token_for(read_model, name)
    codec = sealed().payload_codec
    assert isinstance(codec, SealingCodec)
    # The pages and the codec server call no Temporal: the app is built without a service.
    app = create_app(service=None, engine=read_model,  # type: ignore[arg-type]
                     catalogue=load_catalogue(), settings=page_settings(**settings), codec=codec,
                     clock=clock)
    return Site(app=app, engine=read_model, tokens=tokens)


@pytest.fixture
async def live_site(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[LiveSite]:
    """The pages over a real service (`tests.pages.stack`), a user of each role signed in by
    `live_site.signed_in(name)`."""
    from tests.pages.stack import running_site

    async with running_site(dev_env, tmp_path) as running:
        yield running


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_read_model(tmp_path)


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return build_site(sqlite_engine)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of the page's (first) form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on the page:\n{page.text}"
    return found.group(1)


def titled(page: str, *, error: bool = False) -> str:
    """A page's title as the service manual has it: "Error: " first when its form has errors,
    then the page, an en dash and the service's name."""
    return f"{'Error: ' if error else ''}{page} \u2013 Quality interventions"


def title_of(page: httpx.Response) -> str:
    found = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert found, "the page has no title"
    return found.group(1).strip()


async def sign_in(client: httpx.AsyncClient, name: str = COORDINATOR,
                  password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/sign-in")
    return await client.post("/sign-in", data={"name": name, "password": password,
                                               "csrf_token": csrf_of(form)})
