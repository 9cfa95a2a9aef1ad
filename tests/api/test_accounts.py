"""Accounts as an operator changes them with `qi users` and `qi tokens`, and what the API then
accepts: tokens expire and rotate, users are disabled, enabled and change role, and every change
is in the account history with who made it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli import cli
from core.database import session
from core.interventions import Interventions
from models.catalogue import load_catalogue
from models.tables import ApiToken
from tests.api.conftest import TEST_HOST, assert_error, settings
from tests.databases import database_url, engine, postgres_url  # noqa: F401 (fixtures)

OPERATOR = "ops.alice"
UNKNOWN_TOKEN = "qi_" + "x" * 43


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


class Qi:
    """`qi` run in this process (tests/api/test_users_cli.py runs it as a process of its own)
    by the OS user OPERATOR, with no QI_ setting but the database's and what a test adds."""

    def __init__(self, url: str) -> None:
        self.env: dict[str, str | None] = dict.fromkeys(
            (k for k in os.environ if k.startswith("QI_")), None)
        self.env.update(QI_DATABASE_URL=url, LOGNAME=OPERATOR, USER=OPERATOR)

    def __call__(self, *args: str) -> Done:
        result = CliRunner().invoke(cli, list(args), env=self.env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Done(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str) -> str:
        done = self(*args)
        assert done.returncode == 0, f"qi {' '.join(args)}: {done.stderr}"
        return done.stdout


@pytest.fixture
def qi(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Qi:  # noqa: F811
    """`qi` against a migrated read model; logging stays pytest's."""
    monkeypatch.setattr("core.logging.configure_logging", lambda *_args, **_kwargs: None)
    return Qi(database_url)


class Http:
    def __init__(self, transport: httpx.ASGITransport) -> None:
        self.transport = transport

    async def get(self, token: str, path: str = "/interventions") -> httpx.Response:
        return await self.request("GET", token, path)

    async def request(self, method: str, token: str, path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=self.transport, base_url=f"http://{TEST_HOST}",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            return await client.request(method, path)


@pytest.fixture
def http(engine: Engine, dev_env: WorkflowEnvironment) -> Http:  # noqa: F811
    catalogue = load_catalogue()
    service = Interventions(dev_env.client, task_queue="unused", catalogue=catalogue)
    app = create_app(service=service, engine=engine, catalogue=catalogue, settings=settings())
    return Http(httpx.ASGITransport(app=app))


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """The access log's lines so far."""
    with caplog.at_level(logging.WARNING, logger="qi.api.access"):
        yield lambda: [r.getMessage() for r in caplog.records if r.name == "qi.api.access"]


def _tokens(read_model: Engine) -> list[ApiToken]:
    with session(read_model) as db:
        return list(db.exec(select(ApiToken).order_by(ApiToken.id)))  # type: ignore[arg-type]


def _expire(read_model: Engine, prefix: str) -> None:
    with session(read_model) as db:
        row = db.exec(select(ApiToken).where(ApiToken.prefix == prefix)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.add(row)
        db.commit()


def test_a_token_expires_after_the_configured_lifetime(qi: Qi, engine: Engine) -> None:  # noqa: F811
    qi.env["QI_TOKEN_LIFETIME_DAYS"] = "30"
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    issued = qi("tokens", "issue", "c.okafor")
    [row] = _tokens(engine)

    assert issued.returncode == 0, issued.stderr
    assert row.expires_at - row.created_at == timedelta(days=30)
    assert f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC" in issued.stderr
    assert issued.stdout.strip().startswith(row.prefix)  # stdout is the token alone
    assert qi.ok("tokens", "list").splitlines() == [
        f"{row.prefix}\tc.okafor\t{row.created_at:%Y-%m-%d}\texpires {row.expires_at:%Y-%m-%d}"
        "\tlive"
    ]


async def test_an_expired_token_is_refused_as_an_unknown_one_is_and_the_log_says_why(
    qi: Qi, engine: Engine, http: Http, access: Callable[[], list[str]]  # noqa: F811
) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    token = qi.ok("tokens", "issue", "c.okafor").strip()
    before = await http.get(token)
    _expire(engine, token[:11])
    expired = await http.get(token)
    unknown = await http.get(UNKNOWN_TOKEN)

    assert before.status_code == 200, before.text
    assert_error(expired, 401, "NotAuthenticated")
    assert expired.json() == unknown.json()
    assert expired.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    assert access() == [
        "denied user=c.okafor role=coordinator method=GET route=/interventions "
        f"reason=token expired {token[:11]}",
        "denied user=- role=- method=GET route=/interventions reason=unknown token",
    ]
    assert not any(token[11:] in line for line in access())
    assert qi.ok("tokens", "list").split("\t")[-1].strip() == "expired"


async def test_rotating_a_token_gives_its_user_a_new_one_and_revokes_it(
    qi: Qi, engine: Engine, http: Http, access: Callable[[], list[str]]  # noqa: F811
) -> None:
    qi.ok("users", "add", "lead.north", "--role", "provider_lead", "--provider", "RXX01")
    old = qi.ok("tokens", "issue", "lead.north").strip()
    _expire(engine, old[:11])  # as the upgrade leaves a token older than the lifetime
    rotated = qi("tokens", "rotate", old[:11])
    new = rotated.stdout.strip()

    assert rotated.returncode == 0, rotated.stderr
    assert f"for lead.north replaces {old[:11]}... (revoked), expires" in rotated.stderr
    assert (await http.get(new)).status_code == 200
    assert_error(await http.get(old), 401, "NotAuthenticated")
    assert access()[-1].endswith(f"reason=token revoked {old[:11]}")
    listed = [line.split("\t") for line in qi.ok("tokens", "list").splitlines()]
    assert [(cells[0], cells[1], cells[4].split()[0]) for cells in listed] == [
        (old[:11], "lead.north", "revoked"), (new[:11], "lead.north", "live")]


async def test_a_disabled_users_tokens_stop_working_at_once_and_work_again_when_enabled(
    qi: Qi, engine: Engine, http: Http, access: Callable[[], list[str]]  # noqa: F811
) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    token = qi.ok("tokens", "issue", "c.okafor").strip()
    assert (await http.get(token)).status_code == 200

    qi.ok("users", "disable", "c.okafor")
    disabled = await http.get(token)
    listed = qi.ok("users", "list")
    refused_issue = qi("tokens", "issue", "c.okafor")
    qi.ok("users", "enable", "c.okafor")
    enabled = await http.get(token)

    assert_error(disabled, 401, "NotAuthenticated")
    assert access() == [f"denied user=c.okafor role=coordinator method=GET route=/interventions "
                      f"reason=user disabled {token[:11]}"]
    assert listed.strip().endswith(f"disabled {datetime.now(UTC):%Y-%m-%d}")
    assert refused_issue.returncode == 2
    assert "user 'c.okafor' is disabled; enable them first" in refused_issue.stderr
    assert len(_tokens(engine)) == 1  # nothing issued
    assert enabled.status_code == 200, enabled.text


async def test_a_new_role_applies_to_the_users_next_request(qi: Qi, http: Http) -> None:
    qi.ok("users", "add", "v.viewer", "--role", "viewer")
    token = qi.ok("tokens", "issue", "v.viewer").strip()
    as_viewer = await http.get(token, "/outbox")
    changed = qi.ok("users", "set-role", "v.viewer", "--role", "coordinator")
    as_coordinator = await http.get(token, "/outbox")
    qi.ok("users", "set-role", "v.viewer", "--role", "provider_lead", "--provider", "RXX01")
    as_lead = await http.get(token, "/outbox")

    assert_error(as_viewer, 403, "Forbidden")
    assert changed.strip() == "v.viewer is now a coordinator"
    assert as_coordinator.status_code == 200, as_coordinator.text
    assert_error(as_lead, 403, "Forbidden")
    assert qi.ok("users", "list").split("\t")[:3] == ["v.viewer", "provider_lead", "RXX01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "provider_lead"), "provider_code is required for provider leads"),
        (("--role", "dean", "--provider", "RXX01"), "provider_code is required for provider leads"
         " and only for them"),
        (("--role", "viewer"), "user 'v.viewer' is already a viewer"),
        (("--role", "admin"), "'admin' is not one of"),
    ],
    ids=["lead-without-provider", "provider-for-another-role", "same-role", "unknown-role"],
)
def test_a_role_change_breaking_a_rule_is_refused_and_changes_nothing(
    qi: Qi, args: tuple[str, ...], message: str
) -> None:
    qi.ok("users", "add", "v.viewer", "--role", "viewer")
    done = qi("users", "set-role", "v.viewer", *args)

    assert done.returncode == 2
    assert message in done.stderr
    assert qi.ok("users", "list").split("\t")[:3] == ["v.viewer", "viewer", "-"]
    assert [line.split("\t")[2] for line in qi.ok("users", "history").splitlines()] == [
        "user_added"]


def test_every_account_change_is_in_the_history_with_the_operator_who_made_it(
    qi: Qi, engine: Engine  # noqa: F811
) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    qi.ok("users", "add", "lead.north", "--role", "provider_lead", "--provider", "RXX01")
    first = qi.ok("tokens", "issue", "c.okafor").strip()
    second = qi.ok("tokens", "rotate", first[:11]).strip()
    qi.ok("tokens", "revoke", second[:11])
    qi.ok("users", "disable", "c.okafor")
    qi.ok("users", "enable", "c.okafor")
    qi.ok("users", "set-role", "lead.north", "--role", "viewer")

    lines = [line.split("\t") for line in qi.ok("users", "history").splitlines()]
    assert {cells[1] for cells in lines} == {OPERATOR}
    assert [(cells[2], cells[3]) for cells in lines] == [
        ("user_added", "c.okafor"),
        ("user_added", "lead.north"),
        ("token_issued", "c.okafor"),
        ("token_rotated", "c.okafor"),
        ("token_revoked", "c.okafor"),
        ("user_disabled", "c.okafor"),
        ("user_enabled", "c.okafor"),
        ("role_changed", "lead.north"),
    ]
    details = [cells[4] for cells in lines]
    assert details[:2] == ["coordinator", "provider_lead of RXX01"]
    assert details[2].startswith(f"{first[:11]} expires ")
    assert details[3].startswith(f"{first[:11]} -> {second[:11]} expires ")
    assert details[4:] == [second[:11], "tokens refused", "tokens accepted",
                           "provider_lead of RXX01 -> viewer"]
    assert all(cells[0].endswith(" UTC") for cells in lines)

    mine = json.loads(qi.ok("users", "history", "lead.north", "--json"))
    assert [(e["action"], e["operator"], e["user_name"]) for e in mine] == [
        ("user_added", OPERATOR, "lead.north"), ("role_changed", OPERATOR, "lead.north")]
    with engine.connect() as conn:
        recorded = " ".join(str(v) for row in conn.execute(text("SELECT * FROM account_event"))
                            for v in row)
    assert first[11:] not in recorded  # prefixes only: nothing a token could be made from
    assert second[11:] not in recorded


def test_a_refused_account_change_is_not_recorded(qi: Qi) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    qi.ok("users", "disable", "c.okafor")
    again = qi("users", "disable", "c.okafor")
    qi.ok("users", "enable", "c.okafor")
    enabled = qi("users", "enable", "c.okafor")

    assert (again.returncode, enabled.returncode) == (2, 2)
    assert "user 'c.okafor' is already disabled" in again.stderr
    assert "user 'c.okafor' is already enabled" in enabled.stderr
    assert [line.split("\t")[2] for line in qi.ok("users", "history", "c.okafor").splitlines()
            ] == ["user_added", "user_disabled", "user_enabled"]


async def test_signing_out_is_recorded_with_the_user_as_who_made_it(qi: Qi, http: Http) -> None:
    qi.ok("users", "add", "c.okafor", "--role", "coordinator")
    token = qi.ok("tokens", "issue", "c.okafor").strip()
    signed_out = await http.request("DELETE", token, "/me/token")

    assert signed_out.status_code == 204, signed_out.text
    assert_error(await http.get(token, "/me"), 401, "NotAuthenticated")
    last = qi.ok("users", "history", "c.okafor").splitlines()[-1].split("\t")
    assert last[1:] == ["c.okafor", "token_revoked", "c.okafor", f"{token[:11]} (signed out)"]
