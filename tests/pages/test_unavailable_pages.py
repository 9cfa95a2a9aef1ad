"""With Temporal or the read model's database out of reach, a page (showing a command's form,
sending it, or showing the intervention) answers 503 with the design system's "Sorry, there is
a problem with the service" page, and nothing is changed; the API's routes keep answering in
their own format. The service's dependencies are reached through proxies the test cuts."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, make_url
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RetryConfig, RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.pages import unavailable
from api.pages.rendering import Pages
from api.pages.urls import command_page, intervention_page
from core.codec import SealingCodec
from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from models.commands import Event
from models.errors import ErrorType, Problem, ProblemError
from models.intervention import State
from tests import scenario
from tests.browser import chromium, require_browser
from tests.databases import _postgres_schema
from tests.environments import sealed
from tests.fakes import RecordingNotifier
from tests.pages.command_pages import form_of, looked_at, serving, sign_in_to
from tests.pages.conftest import (
    PASSWORD,
    Site,
    add_with_password,
    csrf_of,
    page_settings,
    sign_in,
    title_of,
    titled,
    token_for,
)
from tests.pages.stack import COORDINATOR, HOST
from tests.proxy import TcpProxy
from worker import build_worker

SORRY = "Sorry, there is a problem with the service"


@dataclass
class Proxied:
    """The app reaching Temporal and PostgreSQL through proxies; a service that reaches both
    directly, to see what the app could not."""

    app: FastAPI
    direct: Interventions
    database: TcpProxy
    temporal: TcpProxy
    token: str

    def proxy(self, name: str) -> TcpProxy:
        proxy: TcpProxy = getattr(self, name)
        return proxy

    @asynccontextmanager
    async def browser(self) -> AsyncIterator[httpx.AsyncClient]:
        # An unexpected error is answered by the app (500), not raised into the test.
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
            yield client


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    yield from _postgres_schema(postgres_url)


@pytest.fixture
async def proxied(dev_env: WorkflowEnvironment, pg_url: str) -> AsyncIterator[Proxied]:
    url = make_url(pg_url)
    database = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    host, port = dev_env.client.service_client.config.target_host.rsplit(":", 1)
    temporal = TcpProxy(host, int(port))
    database.open()
    temporal.open()
    direct_engine = make_engine(pg_url)
    migrate(direct_engine)
    add_with_password(direct_engine, COORDINATOR, email=scenario.EMAILS[COORDINATOR])
    engine: Engine = make_engine(url.set(port=database.port).render_as_string(
        hide_password=False))
    # One retry, soon: a call to an unreachable Temporal fails in a moment.
    client = await Client.connect(
        f"127.0.0.1:{temporal.port}", namespace=dev_env.client.namespace,
        data_converter=sealed(), retry_config=RetryConfig(initial_interval_millis=50,
                                                          max_retries=1))
    task_queue = f"test-unavailable-{uuid.uuid4()}"
    catalogue = load_catalogue()
    codec = client.data_converter.payload_codec
    assert isinstance(codec, SealingCodec)
    app = create_app(service=Interventions(client, task_queue=task_queue, catalogue=catalogue,
                                           engine=engine),
                     engine=engine, catalogue=catalogue, codec=codec,
                     settings=page_settings(allowed_hosts=[HOST, "127.0.0.1"]))
    direct = Interventions(dev_env.client, task_queue=task_queue, catalogue=catalogue,
                           engine=direct_engine)
    try:
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with build_worker(dev_env.client, task_queue=task_queue, engine=direct_engine,
                                    notifier=RecordingNotifier(), executor=executor):
                yield Proxied(app, direct, database, temporal,
                              token_for(direct_engine, COORDINATOR))
    finally:
        engine.dispose()
        direct_engine.dispose()
        database.close()
        temporal.close()


async def _sign_in(browser: httpx.AsyncClient) -> None:
    form = await browser.get("/sign-in")
    done = await browser.post("/sign-in", data={"name": COORDINATOR, "password": PASSWORD,
                                                "csrf_token": csrf_of(form)})
    assert done.status_code == 303, done.text


@pytest.mark.postgres
@pytest.mark.parametrize(("away", "api_status"), [("temporal", 503), ("database", 500)])
async def test_a_page_says_sorry_and_changes_nothing_while_the_service_is_away(
        proxied: Proxied, away: str, api_status: int) -> None:
    started = await proxied.direct.start(scenario.start_request())
    intervention_id, reference = started.data.intervention_id, started.data.reference or ""
    path = command_page(reference, Event.cancel)

    async with proxied.browser() as browser:
        await _sign_in(browser)
        form = await browser.get(path)
        proxied.proxy(away).cut()
        try:
            shown = await browser.get(path)
            sent = await browser.post(path, data=form_of(form, reason="No longer needed"))
            page = await browser.get(intervention_page(reference))
            api = await browser.get(f"/interventions/{intervention_id}",
                                    headers={"Authorization": f"Bearer {proxied.token}"})
        finally:
            proxied.proxy(away).open()

    assert form.status_code == 200
    for answer in (shown, sent, page):
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("text/html")
        assert title_of(answer) == titled(SORRY)
        assert "<p>Try again later.</p>" in answer.text
        assert "<p>Nothing was changed.</p>" in answer.text
        assert str(proxied.proxy(away).port) not in answer.text  # nothing of where it looked
    # The API answers as it did before the pages had their own answer.
    assert api.status_code == api_status
    assert api.headers["content-type"] == "application/problem+json"
    assert (await proxied.direct.status(intervention_id)).data.state is State.planned


@pytest.mark.postgres
async def test_the_sorry_page_in_chromium_has_no_accessibility_violation(
        proxied: Proxied) -> None:
    require_browser()

    started = await proxied.direct.start(scenario.start_request())
    path = command_page(started.data.reference or "", Event.pause_clock)
    async with serving(proxied.app) as served, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in_to(page, served, COORDINATOR)
        proxied.temporal.cut()
        try:
            await page.goto(f"{served}{path}")
            await looked_at(page, "service-unavailable", titled(SORRY))
        finally:
            proxied.temporal.open()


async def _answer(app: FastAPI, route: object, error: Exception) -> Response:
    """What the app's handler for `error` answers a request routed to `route`."""
    request = Request({"type": "http", "app": app, "method": "POST", "path": "/",
                       "headers": [], "route": route})
    answer = app.exception_handlers[type(error)](request, error)
    return await answer if inspect.isawaitable(answer) else answer


async def test_only_pages_get_the_sorry_page_and_a_command_whose_outcome_is_unknown_says_so(
) -> None:
    from api.pages import commands
    from api.routes import me

    app = FastAPI()
    app.state.pages = Pages()
    api_answer = JSONResponse({"api": True})

    async def api_handler(request: Request, error: Exception) -> Response:
        return api_answer

    app.add_exception_handler(RPCError, api_handler)
    app.add_exception_handler(ProblemError, api_handler)
    unavailable.install(app)
    page, api = commands.router.routes[0], me.router.routes[0]
    timed_out = WorkflowUpdateRPCTimeoutOrCancelledError()
    down = RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b"")
    no_references = ProblemError([Problem(field="database", rule="cannot look up references")],
                                 ErrorType.UNAVAILABLE)
    refused = ProblemError([Problem(field="command", rule="not now")],
                           ErrorType.COMMAND_REFUSED)

    unknown = await _answer(app, page, timed_out)
    for_the_api = await _answer(app, api, down)
    for_a_page = await _answer(app, page, down)
    unreferenced = await _answer(app, page, no_references)
    refusal = await _answer(app, page, refused)
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):  # as if no handler were there
        await _answer(app, api, timed_out)

    assert unknown.status_code == 503
    assert b"We could not find out whether what you sent was done." in unknown.body
    assert b"Nothing was changed" not in unknown.body
    assert for_the_api is api_answer
    assert for_a_page.status_code == 503
    assert b"Nothing was changed." in for_a_page.body
    assert unreferenced.status_code == 503
    assert refusal is api_answer  # only the service being unavailable is the page's to answer


async def test_a_page_that_fails_unexpectedly_says_sorry_and_the_api_keeps_its_json(
        site: Site) -> None:
    # The site is built without a service: the intervention page's call to it fails as no
    # page expects. (The server still sees the error after the answer, to log it.)
    transport = httpx.ASGITransport(app=site.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as browser:
        await sign_in(browser)
        page = await browser.get("/intervention/QI-2026-0001")
        api = await browser.get("/interventions/QI-2026-0001",
                                headers={"Authorization": f"Bearer {site.tokens[COORDINATOR]}"})

    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in page.text
    assert "Traceback" not in page.text
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
