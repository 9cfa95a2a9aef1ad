"""`qi users` and `qi tokens`: who may use the HTTP API.

Users and tokens live in the read model's database (QI_DATABASE_URL), which `qi migrate` must
have brought up to date. Exit codes as for every `qi` command (`cli.exit_codes`).
"""

from __future__ import annotations

import json

import click
from pydantic import ValidationError

from cli.exit_codes import EXIT_INVALID
from cli.output import fail
from cli.read_model import with_read_model
from models.vocabulary import Role

__all__ = ["tokens", "users"]


@click.group()
def users() -> None:
    """API users: each has one role (and a provider, for provider leads)."""


@users.command(name="add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
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
        fail(EXIT_INVALID, "; ".join(f"{'.'.join(map(str, e['loc'])) or 'user'}: {e['msg']}"
                                     for e in error.errors()))
    added = with_read_model(lambda engine: add(engine, user))
    click.echo(f"added {added.name} ({added.role.value})")
    if login:
        _sign_in_here(added.name)


def _sign_in_here(name: str) -> None:
    """Issue a token for `name` and keep it as this terminal's sign-in, never printing it."""
    from cli.credentials import Credentials, save
    from cli.environment import settings
    from core.users import issue_token

    issued = with_read_model(lambda engine: issue_token(engine, name))
    url = f"http://127.0.0.1:{settings().api_port}"
    path = save(Credentials(url=url, token=issued.token, user=issued.user.name,
                            role=issued.user.role.value))
    click.echo(f"signed in to {url} as {issued.user.name}; kept in {path} "
               "(`qi logout` signs out)")


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True)
def list_users(as_json: bool) -> None:
    """Every user, with role, provider and e-mail."""
    from core.users import list_users as listed

    rows = with_read_model(listed)
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

    issued = with_read_model(lambda engine: issue_token(engine, name))
    click.echo(issued.token)
    click.echo(f"Token {issued.prefix}... for {issued.user.name} ({issued.user.role.value}); "
               "keep it secret: it is not stored and cannot be shown again.", err=True)


@tokens.command(name="list")
def list_tokens() -> None:
    """Token prefixes, owners, and whether revoked."""
    from core.users import list_tokens as listed

    for token in with_read_model(listed):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        click.echo(f"{token.prefix}\t{token.user_name}\t{token.created_at:%Y-%m-%d}\t{state}")


@tokens.command(name="revoke")
@click.argument("prefix")
def revoke(prefix: str) -> None:
    """Revoke the live token that starts with PREFIX."""
    from core.users import revoke_token

    revoked = with_read_model(lambda engine: revoke_token(engine, prefix))
    click.echo(f"revoked {revoked.prefix}... of {revoked.user_name}")
