"""`qi users` and `qi tokens` as an administrator runs them, and the token working on the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.database import make_engine
from core.interventions import Interventions
from models.catalogue import load_catalogue
from tests.api.conftest import Qi, assert_error, settings
from tests.processes import free_port


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'qi.sqlite3'}"


@pytest.fixture
def qi(database_url: str) -> Qi:
    """`qi` against a read model `qi migrate` has brought up to date."""
    qi = Qi(database_url)
    qi.ok("migrate")
    return qi


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _client(dev_env: WorkflowEnvironment, engine: Engine, token: str) -> httpx.AsyncClient:
    catalogue = load_catalogue()
    service = Interventions(dev_env.client, task_queue="unused", catalogue=catalogue)
    app = create_app(service=service, engine=engine, catalogue=catalogue, settings=settings())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qi.test",
                             headers={"Authorization": f"Bearer {token}"})


async def test_an_issued_token_works_until_revoked(
    qi: Qi, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    qi.ok("users", "add", "lead.north", "--role", "provider_lead", "--provider", "RXX01",
          "--email", "lead@north.example.nhs.uk")
    token = qi.ok("tokens", "issue", "lead.north").strip()
    async with _client(dev_env, engine, token) as client:
        allowed = await client.get("/interventions")
        forbidden = await client.post("/interventions", json={})
        qi.ok("tokens", "revoke", token[:11])
        revoked = await client.get("/interventions")

    assert allowed.status_code == 200, allowed.text
    assert_error(forbidden, 403, "Forbidden")
    assert_error(revoked, 401, "NotAuthenticated")


def test_only_a_hash_and_a_prefix_of_the_token_are_stored(qi: Qi, engine: Engine) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    token = qi.ok("tokens", "issue", "c.okafor").strip()

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT prefix, token_hash FROM api_token")).one()
        everything = " ".join(
            str(value)
            for table in ("api_token", "api_user")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )

    assert token.startswith("qi_")
    assert len(token) == 3 + 43  # 32 random bytes, URL-safe base64
    assert stored.prefix == token[:11]
    assert len(stored.token_hash) == 64
    assert token not in everything
    assert token[11:] not in everything


def test_users_list_shows_roles_and_providers(qi: Qi) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    qi.ok("users", "add", "lead.north", "--role", "provider_lead", "--provider", "RXX01")

    assert qi.ok("users", "list").splitlines() == [
        "c.okafor\tcoordinator\t-\t-\tenabled",
        "lead.north\tprovider_lead\tRXX01\t-\tenabled",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("users", "add", "lead.north", "--role", "provider_lead"), 2, "provider_code"),
        (("users", "add", "c.okafor", "--role", "viewer", "--provider", "RXX01"), 2,
         "provider_code"),
        (("users", "add", "has space", "--role", "viewer"), 2, "name"),
        (("users", "add", "x", "--role", "admin"), 2, "admin"),
        (("tokens", "issue", "nobody"), 3, "no user 'nobody'"),
        (("tokens", "revoke", "qi_nothing"), 3, "no token that starts with 'qi_nothing'"),
        (("tokens", "rotate", "qi_nothing"), 3, "no token that starts with 'qi_nothing'"),
        (("users", "disable", "nobody"), 3, "no user 'nobody'"),
        (("users", "enable", "nobody"), 3, "no user 'nobody'"),
        (("users", "set-role", "nobody", "--role", "viewer"), 3, "no user 'nobody'"),
        (("users", "set-role", "x", "--role", "provider_lead"), 2, "provider_code"),
    ],
)
def test_bad_user_and_token_commands_fail_with_a_reason(
    qi: Qi, args: tuple[str, ...], code: int, message: str
) -> None:
    done = qi(*args)

    assert done.returncode == code
    assert message in done.stderr


def test_a_user_name_is_taken_once(qi: Qi) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    done = qi("users", "add", "c.okafor", "--role", "dean")

    assert done.returncode == 2
    assert "already exists" in done.stderr


@pytest.mark.parametrize("args", [("users", "list"), ("tokens", "issue", "c.okafor")])
def test_users_and_tokens_need_a_migrated_read_model_and_say_so(
    database_url: str, engine: Engine, args: tuple[str, ...]
) -> None:
    done = Qi(database_url)(*args)

    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "error: the read model is not migrated to the newest schema; run `qi migrate` first"
    ]
    with engine.connect() as conn:  # nothing created behind the administrator's back
        assert conn.execute(text("SELECT name FROM sqlite_master")).all() == []


def test_users_with_the_database_unreachable_fail_in_one_line() -> None:
    done = Qi(f"postgresql+psycopg://qi@127.0.0.1:{free_port()}/qi")("users", "list")

    assert done.returncode == 4
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: cannot use the database (")
    assert line.endswith("check QI_DATABASE_URL")
