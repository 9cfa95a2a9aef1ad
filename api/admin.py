"""`qi api`, `qi users` and `qi tokens`: serve the HTTP API, and manage who may use it.

Users and tokens live in the read model's database (QI_DATABASE_URL), migrated on first use.
Exit codes as for every `qi` command: 2 invalid input, 3 unknown user or token, 4 unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from core.settings import Settings
from models.errors import ErrorType, ProblemError
from models.vocabulary import Role

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["api", "tokens", "users"]

T = TypeVar("T")
EXIT_INVALID, EXIT_UNKNOWN, EXIT_UNAVAILABLE = 2, 3, 4


def _fail(code: int, message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _with_engine(work: Callable[[Engine], T]) -> T:
    from core.database import make_engine, migrate

    engine = make_engine(Settings().resolved_database_url)
    try:
        migrate(engine)
        return work(engine)
    except ProblemError as error:
        code = EXIT_UNKNOWN if error.error_type is ErrorType.UNKNOWN_REFERENCE else EXIT_INVALID
        _fail(code, str(error))
    except OperationalError as error:
        reason = " ".join(str(error.orig).split())  # one line, as every `qi` error
        _fail(EXIT_UNAVAILABLE, f"cannot use the database ({reason}); check QI_DATABASE_URL")
    finally:
        engine.dispose()


@click.command()
def api() -> None:
    """Serve only the HTTP API (QI_API_HOST:QI_API_PORT), against the Temporal the settings
    name."""
    from api.app import docs_url, serve_api
    from core.temporal import connect

    settings = Settings()

    async def go() -> None:
        task = asyncio.current_task()
        if task is not None and sys.platform != "win32":
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        client = await connect(settings)
        click.echo(f"HTTP API: {docs_url(settings)}")
        await serve_api(settings, client)

    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(go())
    except RuntimeError as exc:
        _fail(EXIT_UNAVAILABLE, str(exc))


@click.group()
def users() -> None:
    """API users: each has one role (and a provider, for provider leads)."""


@users.command(name="add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--provider", "provider_code", help="Provider code (provider leads only)")
@click.option("--email")
def add_user(name: str, role: str, provider_code: str | None, email: str | None) -> None:
    """Add a user; their NAME is the actor recorded for their commands."""
    from core.users import add_user as add
    from models.tables import ApiUserCreate

    try:
        user = ApiUserCreate(name=name, role=Role(role), provider_code=provider_code, email=email)
    except ValidationError as error:
        _fail(EXIT_INVALID, "; ".join(f"{'.'.join(map(str, e['loc'])) or 'user'}: {e['msg']}"
                                      for e in error.errors()))
    added = _with_engine(lambda engine: add(engine, user))
    click.echo(f"added {added.name} ({added.role.value})")


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def list_users(as_json: bool) -> None:
    """Every user, with role, provider and e-mail."""
    from core.users import list_users as listed

    rows = _with_engine(listed)
    if as_json:
        click.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    for row in rows:
        click.echo(f"{row.name}\t{row.role.value}\t{row.provider_code or '-'}\t{row.email or '-'}")


@click.group()
def tokens() -> None:
    """Bearer tokens for the API; only their hashes are stored."""


@tokens.command(name="issue")
@click.argument("name")
def issue(name: str) -> None:
    """Issue a token for user NAME and print it, once; it cannot be shown again."""
    from core.users import issue_token

    issued = _with_engine(lambda engine: issue_token(engine, name))
    click.echo(issued.token)
    click.echo(f"Token {issued.prefix}... for {issued.user.name} ({issued.user.role.value}); "
               "keep it secret: it is not stored and cannot be shown again.", err=True)


@tokens.command(name="list")
def list_tokens() -> None:
    """Token prefixes, owners, and whether revoked."""
    from core.users import list_tokens as listed

    for token in _with_engine(listed):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        click.echo(f"{token.prefix}\t{token.user_name}\t{token.created_at:%Y-%m-%d}\t{state}")


@tokens.command(name="revoke")
@click.argument("prefix")
def revoke(prefix: str) -> None:
    """Revoke the live token that starts with PREFIX."""
    from core.users import revoke_token

    revoked = _with_engine(lambda engine: revoke_token(engine, prefix))
    click.echo(f"revoked {revoked.prefix}... of {revoked.user_name}")
