"""The pages over a real service: the API's app with a Temporal dev server and a worker, and a
user of each role with a password and an e-mail, browsed through httpx's ASGI transport (a
client that keeps cookies, as a browser does). For page tests that start and drive
interventions; tests of signing in alone use `conftest.build_site`, with no Temporal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from core.interventions import Interventions
from models.vocabulary import Role
from tests import scenario
from tests.live import live_service
from tests.pages.conftest import PASSWORD, add_with_password, csrf_of, page_settings
from tests.settle import settled

__all__ = ["COORDINATOR", "DEAN", "LEAD", "OTHER_LEAD", "PANEL", "USERS", "LiveSite",
           "running_site"]

COORDINATOR, DEAN = scenario.COORDINATOR, scenario.DEAN
PANEL, LEAD, OTHER_LEAD = "p.member", "lead.rxx01", "lead.ryy02"
# name: (role, provider, e-mail). The lead of RXX01 has the e-mail the scenario's provider
# gives for its lead, so the rules comparing people know them.
USERS: dict[str, tuple[Role, str | None, str]] = {
    COORDINATOR: (Role.coordinator, None, scenario.EMAILS[COORDINATOR]),
    DEAN: (Role.dean, None, scenario.EMAILS[DEAN]),
    PANEL: (Role.panel_member, None, "p.member@panel.example.nhs.uk"),
    LEAD: (Role.provider_lead, "RXX01", scenario.LEAD_EMAIL),
    OTHER_LEAD: (Role.provider_lead, "RYY02", "dme@otherside.example.nhs.uk"),
}
HOST = "qi.test"


@dataclass
class LiveSite:
    app: FastAPI
    service: Interventions
    engine: Engine

    def browser(self) -> httpx.AsyncClient:
        """A fresh browser: keeps cookies, follows no redirect by itself."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                 base_url=f"http://{HOST}")

    @asynccontextmanager
    async def signed_in(self, name: str) -> AsyncIterator[httpx.AsyncClient]:
        """A browser signed in as `name` (one of `USERS`)."""
        async with self.browser() as client:
            form = await client.get("/sign-in")
            done = await client.post("/sign-in", data={"name": name, "password": PASSWORD,
                                                       "csrf_token": csrf_of(form)})
            assert done.status_code == 303, done.text
            yield client

    async def settled(self, intervention_id: str) -> None:
        """Wait for the read model and the outbox to catch up with the intervention."""
        await settled(self.service, self.engine, intervention_id)


@asynccontextmanager
async def running_site(env: WorkflowEnvironment, folder: Path) -> AsyncIterator[LiveSite]:
    def add_users(engine: Engine) -> None:
        for name, (role, provider, email) in USERS.items():
            add_with_password(engine, name, role, provider, email=email)

    settings = page_settings(allowed_hosts=[HOST, "127.0.0.1", "localhost"])
    async with live_service(env, folder, queue="test-pages", settings=settings,
                            add_users=add_users) as live:
        yield LiveSite(app=live.app, service=live.service, engine=live.engine)
