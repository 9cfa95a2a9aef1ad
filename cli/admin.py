"""`qi users` and `qi tokens`: who may use the HTTP API.

Users and tokens live in the read model's database (QI_DATABASE_URL), which `qi migrate` must
have brought up to date. Every change is recorded in the account history (`qi users history`)
with the operator who made it: the OS user running `qi`, as the environment names them
(LOGNAME, USER, LNAME or USERNAME, else the account database). Exit codes as for every `qi`
command (`cli.exit_codes`).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

import click
from pydantic import ValidationError

from cli.environment import settings
from cli.exit_codes import EXIT_INVALID, EXIT_UNKNOWN
from cli.output import emit, fail
from cli.read_model import with_read_model
from models.vocabulary import Role

if TYPE_CHECKING:
    from models.tables import ApiTokenPublic

__all__ = ["tokens", "users"]

_ROLES = click.Choice([r.value for r in Role])


def _operator() -> str:
    """The OS user running `qi`, for the account history."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name in the environment nor the account database
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _lifetime() -> timedelta:
    return timedelta(days=settings(logs=False).token_lifetime_days)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _invalid(error: ValidationError, what: str) -> NoReturn:
    fail(EXIT_INVALID, "; ".join(f"{'.'.join(map(str, e['loc'])) or what}: {e['msg']}"
                                 for e in error.errors()))


@click.group()
def users() -> None:
    """API users: each has one role (and a provider, for provider leads)."""


@users.command(name="add")
@click.argument("name")
@click.option("--role", required=True, type=_ROLES)
@click.option("--provider", "provider_code", help="Provider code (provider leads only)")
@click.option("--email")
@click.option("--login", is_flag=True,
              help="Also sign this terminal in as the new user, to the service on this machine "
              "(QI_API_PORT): how the first coordinator gets started")
def add_user(name: str, role: str, provider_code: str | None, email: str | None,
             login: bool) -> None:
    """Add a user; their NAME is the actor recorded for their commands.

    \b
    Example (the first coordinator, on the machine that runs `make run`):
      qi users add c.okafor --role coordinator --email c.okafor@example.nhs.uk --login"""
    from core.users import add_user as add
    from models.tables import ApiUserCreate

    try:
        user = ApiUserCreate(name=name, role=Role(role), provider_code=provider_code, email=email)
    except ValidationError as error:
        _invalid(error, "user")
    added = with_read_model(lambda engine: add(engine, user, operator=_operator()))
    click.echo(f"added {added.name} ({added.role.value})")
    if login:
        _sign_in_here(added.name)


def _sign_in_here(name: str) -> None:
    """Issue a token for `name` and keep it as this terminal's sign-in, never printing it."""
    from cli.credentials import Credentials, save
    from core.users import issue_token

    lifetime = _lifetime()
    issued = with_read_model(
        lambda engine: issue_token(engine, name, lifetime=lifetime, operator=_operator()))
    url = f"http://127.0.0.1:{settings().api_port}"
    path = save(Credentials(url=url, token=issued.token, user=issued.user.name,
                            role=issued.user.role.value))
    click.echo(f"signed in to {url} as {issued.user.name} until {_when(issued.expires_at)}; "
               f"kept in {path} (`qi logout` signs out)")


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def list_users(as_json: bool) -> None:
    """Every user, with role, provider, e-mail and whether disabled."""
    from core.users import list_users as listed

    rows = with_read_model(listed)

    def human() -> None:
        for row in rows:
            state = f"disabled {row.disabled_at:%Y-%m-%d}" if row.disabled_at else "enabled"
            click.echo(f"{row.name}\t{row.role.value}\t{row.provider_code or '-'}\t"
                       f"{row.email or '-'}\t{state}")

    emit(rows, as_json, human)


@users.command(name="disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable user NAME: none of their tokens or browser sessions is accepted from the next
    request on, and they cannot sign in to the pages."""
    from core.users import set_disabled

    with_read_model(lambda engine: set_disabled(engine, name, True, operator=_operator()))
    click.echo(f"disabled {name}: their tokens, sessions and password are refused until "
               f"`qi users enable {name}`")


@users.command(name="enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable user NAME again: their unexpired, unrevoked tokens work again."""
    from core.users import set_disabled

    with_read_model(lambda engine: set_disabled(engine, name, False, operator=_operator()))
    click.echo(f"enabled {name}")


@users.command(name="set-role")
@click.argument("name")
@click.option("--role", required=True, type=_ROLES)
@click.option("--provider", "provider_code",
              help="Provider code: required for provider_lead, refused for any other role")
def set_role(name: str, role: str, provider_code: str | None) -> None:
    """Give user NAME another role; it applies to their next request.

    Example: qi users set-role lead.north --role provider_lead --provider RXX01
    """
    from core.users import set_role as change
    from models.tables import ApiUserRole

    try:
        new = ApiUserRole(role=Role(role), provider_code=provider_code)
    except ValidationError as error:
        _invalid(error, "role")
    user = with_read_model(lambda engine: change(engine, name, new, operator=_operator()))
    provider = f" of {user.provider_code}" if user.provider_code else ""
    click.echo(f"{user.name} is now a {user.role.value}{provider}")


@users.command(name="history")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
def history(name: str | None, as_json: bool) -> None:
    """Every account change, oldest first (only NAME's, when given): when, who made it, what."""
    from core.users import account_history

    rows = with_read_model(lambda engine: account_history(engine, name))

    def human() -> None:
        for row in rows:
            click.echo(f"{_when(row.at)}\t{row.operator}\t{row.action.value}\t{row.user_name}\t"
                       f"{row.detail}")

    emit(rows, as_json, human)


@users.command(name="set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking")
def set_password(name: str, password_stdin: bool) -> None:
    """Set the password user NAME signs in to the pages with; their sessions end.

    Asked for twice, and not shown as it is typed. It must be at least 12 characters long:
    a few words together are easy to remember. The service keeps only its argon2id hash.

    \b
    Examples:
      qi users set-password c.okafor
      echo "$NEW_PASSWORD" | qi users set-password c.okafor --password-stdin"""
    import sys

    from core.passwords import password_problem
    from core.sessions import set_password as store
    from core.users import list_users as listed

    if not any(user.name == name for user in with_read_model(listed)):
        fail(EXIT_UNKNOWN, f"name: no user {name!r}")
    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = _ask_new_password(password_problem)
    updated = with_read_model(lambda engine: store(engine, name, password, datetime.now(UTC),
                                                   operator=_operator()))
    click.echo(f"password set for {updated.name}; any pages they had open ask them to sign in "
               "again")


def _ask_new_password(problem_of: Callable[[str], str | None]) -> str:
    """Ask until a password keeps the rule and is typed the same twice, saying why not."""
    while True:
        password: str = click.prompt("New password", hide_input=True)
        problem = problem_of(password)
        if problem is not None:
            click.echo(f"The password {problem}.", err=True)
            continue
        if click.prompt("Type it again", hide_input=True) == password:
            return password
        click.echo("The two were not the same; start again.", err=True)


@click.group()
def tokens() -> None:
    """Bearer tokens for the API; only their hashes are stored. Each expires after
    QI_TOKEN_LIFETIME_DAYS (default 90)."""


@tokens.command(name="issue")
@click.argument("name")
def issue(name: str) -> None:
    """Issue a token for user NAME and print it, once; it cannot be shown again."""
    from core.users import issue_token

    lifetime = _lifetime()
    issued = with_read_model(
        lambda engine: issue_token(engine, name, lifetime=lifetime, operator=_operator()))
    click.echo(issued.token)
    click.echo(f"Token {issued.prefix}... for {issued.user.name} ({issued.user.role.value}), "
               f"expires {_when(issued.expires_at)}; keep it secret: it is not stored and "
               "cannot be shown again.", err=True)


@tokens.command(name="rotate")
@click.argument("prefix")
def rotate(prefix: str) -> None:
    """Issue a new token for the owner of the token starting with PREFIX, and revoke that one.

    Prints the new token, once. Example: qi tokens rotate qi_AbCdEfGh
    """
    from core.users import rotate_token

    lifetime = _lifetime()
    issued, old = with_read_model(
        lambda engine: rotate_token(engine, prefix, lifetime=lifetime, operator=_operator()))
    click.echo(issued.token)
    click.echo(f"Token {issued.prefix}... for {issued.user.name} replaces {old.prefix}... "
               f"(revoked), expires {_when(issued.expires_at)}; keep it secret: it is not "
               "stored and cannot be shown again.", err=True)


def _state(token: ApiTokenPublic, now: datetime) -> str:
    if token.revoked_at:
        return f"revoked {token.revoked_at:%Y-%m-%d}"
    return "expired" if token.expires_at <= now else "live"


@tokens.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def list_tokens(as_json: bool) -> None:
    """Token prefixes, owners, when issued, when they expire, and whether live, expired or
    revoked."""
    from core.users import list_tokens as listed

    rows = with_read_model(listed)
    now = datetime.now(UTC)

    def human() -> None:
        for token in rows:
            click.echo(f"{token.prefix}\t{token.user_name}\t{token.created_at:%Y-%m-%d}\t"
                       f"expires {token.expires_at:%Y-%m-%d}\t{_state(token, now)}")

    emit(rows, as_json, human)


@tokens.command(name="revoke")
@click.argument("prefix")
def revoke(prefix: str) -> None:
    """Revoke the unrevoked token that starts with PREFIX."""
    from core.users import revoke_token

    revoked = with_read_model(lambda engine: revoke_token(engine, prefix, operator=_operator()))
    click.echo(f"revoked {revoked.prefix}... of {revoked.user_name}")
