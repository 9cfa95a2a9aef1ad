"""Signing in and out: `qi login` checks a token with the service and keeps it (with the
service's address) in a file only its owner can read; `qi logout` revokes it; `qi whoami`."""

from __future__ import annotations

import sys

import click

from cli.exit_codes import EXIT_INVALID, EXIT_NOT_SIGNED_IN
from cli.output import fail

__all__ = ["login", "logout", "whoami"]


def _default_url() -> str:
    from cli.environment import settings

    return f"http://127.0.0.1:{settings(logs=False).api_port}"


@click.command()
@click.option("--url", metavar="URL",
              help="The service's address: https://… for a service on another machine, e.g. "
              "https://qi.example.nhs.uk; default http://127.0.0.1:8000 (QI_API_PORT), the one "
              "`make run` serves")
@click.option("--token-stdin", is_flag=True,
              help="Read the token from standard input (for scripts) instead of asking for it")
def login(url: str | None, token_stdin: bool) -> None:
    """Sign in with a token from `qi tokens issue NAME` (given by whoever runs the service).
    Every command you then send is recorded as that user's; the token is kept in a file only
    you can read (QI_CREDENTIALS_FILE, default ~/.config/qi/credentials.json).

    \b
    Example:
      qi tokens issue c.okafor | qi login --url http://127.0.0.1:8000 --token-stdin"""
    from cli.client import Service, check_url
    from cli.credentials import Credentials, save

    try:
        base = check_url(url or _default_url())
    except ValueError as error:
        fail(EXIT_INVALID, f"--url: {error}")
    if token_stdin:  # the last word read: `qi tokens issue` prints the token alone
        secret = next(iter(reversed(sys.stdin.read().split())), "")
    else:
        secret = click.prompt("Token (from `qi tokens issue`)", hide_input=True).strip()
    if not secret:
        fail(EXIT_INVALID, "no token given; get one with `qi tokens issue NAME`")
    me = Service(base, secret).get("/me")
    path = save(Credentials(url=base, token=secret, user=me["name"], role=me["role"]))
    click.echo(f"signed in to {base} as {me['name']} ({me['role']}); kept in {path}")


@click.command()
def logout() -> None:
    """Sign out: the token is revoked at the service and forgotten here."""
    from cli.client import Service, ServiceError
    from cli.credentials import forget, load

    stored = load()
    if stored is None:
        click.echo("not signed in")
        return
    try:
        Service(stored.url, stored.token).request("DELETE", "/me/token")
    except ServiceError as error:
        if error.code != EXIT_NOT_SIGNED_IN:  # unreachable: the token may still work
            forget()
            fail(error.code, f"signed out here, but the token was not revoked: {error.line}; "
                 "ask whoever runs the service to revoke it (`qi tokens revoke`)")
    forget()
    click.echo(f"signed out of {stored.url}; the token no longer works")


@click.command()
def whoami() -> None:
    """Who this terminal is signed in as, and to which service."""
    from cli.client import service

    client = service()
    me = client.get("/me")
    provider = f", provider {me['provider_code']}" if me.get("provider_code") else ""
    click.echo(f"{me['name']} ({me['role']}{provider}) at {client.url}")


