"""Probes and metrics: /healthz, /readyz as dependencies go and come back, /metrics moving."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.database import make_engine, migrate
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests import scenario
from tests.api.conftest import Api, settings
from tests.databases import _postgres_schema, postgres_url  # noqa: F401 (a fixture)
from tests.environments import sealed
from tests.proxy import TcpProxy


async def test_healthz_answers_without_a_token_and_is_not_in_the_api_docs(api: Api) -> None:
    async with api.client(user=None) as http:
        alive = await http.get("/healthz")
        schema = (await http.get("/openapi.json")).json()
    assert alive.status_code == 200
    assert alive.json() == {"status": "alive"}
    assert not {"/healthz", "/readyz", "/metrics"} & set(schema["paths"])


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def test_metrics_move_with_a_lifecycle_driven_over_http(api: Api) -> None:
    async with api.client(user=None) as anonymous, api.client() as http:
        before = (await anonymous.get("/metrics")).text
        start = scenario.start_request()
        del start["coordinator"]
        started = await http.post("/interventions", json=start)
        assert started.status_code == 201, started.text
        intervention_id = started.json()["data"]["intervention_id"]
        refused = await http.post(f"/interventions/{intervention_id}/close", json={})
        assert refused.status_code == 409
        await api.settled(intervention_id)
        after = (await anonymous.get("/metrics")).text

    planned = {"type": "urgent_risk_review", "state": "planned"}
    assert _sample(after, "qi_interventions", **planned) == _sample(
        before, "qi_interventions", **planned
    ) + 1
    refusals = {"command": "close", "error_type": "CommandRefused"}
    assert _sample(after, "qi_commands_refused_total", **refusals) == 1
    sent = _sample(after, "qi_notifications_sent_total", kind="notification")
    assert sent >= 1  # the provider lead was told the intervention started
    route = {"method": "POST", "route": "/interventions", "status": "201"}
    assert _sample(after, "qi_api_requests_total", **route) == 1
    assert intervention_id not in after  # labels carry route templates, never IDs


@dataclass
class Probed:
    http: httpx.AsyncClient
    database: TcpProxy
    temporal: TcpProxy


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:  # noqa: F811 (the imported fixture)
    yield from _postgres_schema(postgres_url)


@pytest.fixture
async def probed(dev_env: WorkflowEnvironment, pg_url: str) -> AsyncIterator[Probed]:
    """The API reaching PostgreSQL and Temporal through proxies the test can cut."""
    url = make_url(pg_url)
    database = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    host, port = dev_env.client.service_client.config.target_host.rsplit(":", 1)
    temporal = TcpProxy(host, int(port))
    database.open()
    temporal.open()
    engine: Engine = make_engine(url.set(port=database.port).render_as_string(hide_password=False))
    migrate(engine)
    client = await Client.connect(f"127.0.0.1:{temporal.port}",
                                  data_converter=sealed())
    service = Interventions(client, task_queue="probes", catalogue=load_catalogue())
    app = create_app(service=service, engine=engine, catalogue=load_catalogue(),
                     settings=settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://qi.test") as http:
        yield Probed(http, database, temporal)
    engine.dispose()
    database.close()
    temporal.close()


async def _ready_again(http: httpx.AsyncClient, attempts: int = 40) -> httpx.Response:
    """Connections come back on their own schedule: ask until ready, a bounded number of times."""
    for _ in range(attempts):
        answer = await http.get("/readyz")
        if answer.status_code == 200:
            return answer
        await asyncio.sleep(0.25)
    return answer


@pytest.mark.postgres
@pytest.mark.parametrize(("away", "other"), [("database", "temporal"), ("temporal", "database")])
async def test_readyz_names_what_is_away_and_recovers(
    probed: Probed, away: str, other: str
) -> None:
    checks_for = {"database": "read_model", "temporal": "temporal"}
    proxy: TcpProxy = getattr(probed, away)
    assert (await probed.http.get("/readyz")).status_code == 200
    proxy.cut()
    down = await probed.http.get("/readyz")
    assert down.status_code == 503
    checks = {c["name"]: c for c in down.json()["checks"]}
    assert checks[checks_for[away]]["ok"] is False
    assert checks[checks_for[other]]["ok"] is True
    assert str(proxy.port) not in down.text  # no address leaks out
    assert "postgresql" not in down.text.lower()
    proxy.open()
    assert (await _ready_again(probed.http)).status_code == 200


def _series(exposition: str) -> set[str]:
    """Every series /metrics shows: a sample's name and labels."""
    return {line.rsplit(" ", 1)[0] for line in exposition.splitlines()
            if line and not line.startswith("#")}


async def test_metric_series_do_not_grow_with_made_up_methods_or_paths(api: Api) -> None:
    chance = random.Random(20270201)
    methods = [f"M{chance.getrandbits(40):X}" for _ in range(200)]
    paths = [f"/{chance.getrandbits(64):x}/{n}" for n in range(200)]
    async with api.client(user=None) as anonymous:
        # One request of each kind first, so the series they fold into exist.
        await anonymous.request("MADEUP", "/interventions")
        await anonymous.get("/warm/up")
        await anonymous.get("/metrics")
        before = _series((await anonymous.get("/metrics")).text)
        made_up = [await anonymous.request(method, "/interventions") for method in methods]
        unmatched = [await anonymous.get(path) for path in paths]
        exposition = (await anonymous.get("/metrics")).text
    after = _series(exposition)

    assert {r.status_code for r in made_up} == {405}
    assert {r.status_code for r in unmatched} == {404}
    assert after == before
    folded = {"method": "other", "route": "/interventions", "status": "405"}
    assert _sample(exposition, "qi_api_requests_total", **folded) == 1 + len(methods)
    assert _sample(exposition, "qi_api_requests_total", method="GET", route="unmatched",
                   status="404") == 1 + len(paths)
    assert not any(method in line for line in after for method in methods)
    assert not any(path in line for line in after for path in paths)
