"""How fast the pages render on the server over a full read model: 10,000 interventions with
their deadlines and actions, on SQLite (and on PostgreSQL, given a server). Each page is asked
for through the ASGI app as a signed-in browser asks for it (the session checked, the queries
run, the page rendered), beside the JSON API's answer of the same data with a bearer token,
for the ratio:
- the dashboard ("What needs you"), beside `GET /interventions`, the same rows;
- an intervention's page and a command's form, over a dev server and worker with one urgent
  review driven to its action plan, beside `GET /interventions/{reference}`, its status (one
  workflow query, as each page makes).
Prints one JSON document with p50/p95 per page and the target: p50 under 200 ms a page.

    python -m bench.pages [--quick] [--n N] [--rounds R] [--postgres URL]

`make bench` runs it; `--postgres` (or QI_BENCH_POSTGRES_URL) adds PostgreSQL, in a schema of
its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, make_url, text

from api.app import create_app
from bench.read_model_fill import COORDINATOR, PROVIDER, fill
from bench.report import Target, ratio
from bench.stack import PROJECT_QUEUE, json_stdout, running_stack
from bench.timing import percentiles
from core.database import make_engine, migrate
from core.interventions import Interventions
from core.sessions import set_password
from core.settings import Settings
from core.users import add_user, issue_token
from models.catalogue import load_catalogue
from models.tables import ApiUserCreate
from models.vocabulary import Role
from tests import scenario

__all__ = ["Config", "main"]

TARGET_MS = 200
_PASSWORD = "bench password, long enough"
_LEAD = "lead.rxx01"
_OPERATOR = "bench"

# (name, who asks, the page, the JSON API's list of the same rows)
PAGES = [
    ("unfiltered", COORDINATOR, "/?whose=all", "/interventions?limit=25"),
    ("own", COORDINATOR, "/", "/interventions?limit=25"),
    ("filtered", COORDINATOR, "/?whose=all&state=actions_tracked&type=urgent_risk_review",
     "/interventions?limit=25&state=actions_tracked&type=urgent_risk_review"),
    ("provider_lead", _LEAD, "/", f"/interventions?limit=25&provider={PROVIDER}"),
    ("deep_page", COORDINATOR, "/?whose=all&page=300", "/interventions?limit=25&offset=7475"),
]


@dataclass(frozen=True)
class Config:
    n: int = 10_000
    rounds: int = 40  # requests timed per page, after warming up


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _users(engine: Engine) -> dict[str, str]:
    """The coordinator and the provider lead, with passwords; their API tokens."""
    now = datetime.now(UTC)
    tokens = {}
    for name, role, provider in ((COORDINATOR, Role.coordinator, None),
                                 (_LEAD, Role.provider_lead, PROVIDER)):
        add_user(engine, ApiUserCreate(name=name, role=role, provider_code=provider),
                 operator=_OPERATOR)
        set_password(engine, name, _PASSWORD, now, operator=_OPERATOR)
        tokens[name] = issue_token(engine, name, lifetime=timedelta(hours=1),
                                   operator=_OPERATOR).token
    return tokens


async def _signed_in(client: httpx.AsyncClient, name: str) -> None:
    form = await client.get("/sign-in")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "the sign-in page has no CSRF token"
    done = await client.post("/sign-in", data={"name": name, "password": _PASSWORD,
                                               "csrf_token": found.group(1)})
    assert done.status_code == 303, done.text


async def _timed(client: httpx.AsyncClient, path: str, rounds: int, **headers: str) -> list[float]:
    for _ in range(3):  # warm: templates compiled, connections pooled
        answered = await client.get(path, headers=headers)
        assert answered.status_code == 200, (path, answered.status_code)
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        answered = await client.get(path, headers=headers)
        seconds.append(time.perf_counter() - started)
        assert answered.status_code == 200
    return seconds


async def _measure(engine: Engine, config: Config) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    started = time.perf_counter()
    filled = fill(engine, config.n, today)
    fill_seconds = time.perf_counter() - started
    tokens = _users(engine)
    # The dashboard and the API's list read the read model alone: no Temporal service.
    app = create_app(service=None, engine=engine,  # type: ignore[arg-type]
                     catalogue=load_catalogue(), settings=Settings(_env_file=None))
    pages = await _pages(app, tokens, PAGES, config)
    return {"filled": asdict(filled) | {"seconds": round(fill_seconds, 1)}, "pages": pages,
            "targets": _targets(pages)}


def _targets(pages: dict[str, Any]) -> list[dict[str, Any]]:
    return [Target(f"{name} page p50 ms", result["page"]["p50_ms"], TARGET_MS,
                   at_most=True).as_json() for name, result in pages.items()]


async def _measure_live(config: Config) -> dict[str, Any]:
    """An intervention's page and a command's form, with the read model full and one urgent
    review on a dev server, driven to its agreed action plan."""
    with tempfile.TemporaryDirectory(prefix="qi-bench-pages-live-") as tmp:
        async with running_stack(Path(tmp)) as stack:
            filled = fill(stack.engine, config.n, datetime.now(UTC).date())
            tokens = _users(stack.engine)
            service = Interventions(stack.client, task_queue=PROJECT_QUEUE,
                                    catalogue=load_catalogue(), engine=stack.engine)
            started = await service.start(scenario.start_request())
            reference = started.data.reference
            assert reference is not None
            today = datetime.now(UTC).date()
            for event, payload in scenario.tracking_path(today, today + timedelta(days=30), 2):
                await service.command(reference, event, payload)
            app = create_app(service=service, engine=stack.engine, catalogue=load_catalogue(),
                             settings=Settings(_env_file=None))
            status = f"/interventions/{reference}"
            live = [("intervention", COORDINATOR, f"/intervention/{reference}", status),
                    ("command_form", COORDINATOR,
                     f"/intervention/{reference}/record-action-progress", status)]
            pages = await _pages(app, tokens, live, config)
    return {"filled": asdict(filled), "pages": pages, "targets": _targets(pages)}


async def _pages(app: Any, tokens: dict[str, str], measured: list[tuple[str, str, str, str]],
                 config: Config) -> dict[str, Any]:
    pages: dict[str, Any] = {}
    for name, who, page, listing in measured:
        _progress(f"  {name}: {page}")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            await _signed_in(c, who)
            rendered = percentiles(await _timed(c, page, config.rounds))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            api = percentiles(await _timed(c, listing, config.rounds,
                                           Authorization=f"Bearer {tokens[who]}"))
        pages[name] = {"path": page, "page": rendered, "api_path": listing, "api": api,
                       "ratio_p50": ratio(rendered["p50_ms"], api["p50_ms"])}
    return pages


@contextmanager
def _sqlite(folder: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{folder / 'read-model.sqlite3'}")
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _postgres(url: str) -> Iterator[Engine]:
    """A migrated read model in a schema of its own on `url`, dropped afterwards."""
    schema = f"qi_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as db:
        db.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(scoped.render_as_string(hide_password=False))
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _config(argv: list[str]) -> tuple[Config, str | None]:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 requests a page")
    parser.add_argument("--n", type=int, help="interventions in the read model (default 10000)")
    parser.add_argument("--rounds", type=int, help="requests timed per page (default 40)")
    parser.add_argument("--postgres", default=os.environ.get("QI_BENCH_POSTGRES_URL"),
                        help="also measure on this PostgreSQL server (QI_BENCH_POSTGRES_URL)")
    args = parser.parse_args(argv)
    base = Config(rounds=10) if args.quick else Config()
    return Config(n=args.n or base.n, rounds=args.rounds or base.rounds), args.postgres


async def main(argv: list[str]) -> None:
    config, postgres = _config(argv)
    out = json_stdout()
    report: dict[str, Any] = {"config": asdict(config) | {"target_p50_ms": TARGET_MS,
                                                          "page_size": 25}}
    with tempfile.TemporaryDirectory(prefix="qi-bench-pages-") as tmp, _sqlite(Path(tmp)) as db:
        _progress(f"sqlite: {config.n} interventions")
        report["sqlite"] = await _measure(db, config)
    _progress(f"sqlite, with a dev server: {config.n} interventions")
    report["sqlite_live"] = await _measure_live(config)
    if postgres:
        with _postgres(postgres) as db:
            _progress(f"postgresql: {config.n} interventions")
            report["postgresql"] = await _measure(db, config)
    print(json.dumps(report, indent=2), file=out, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
