"""`qi up`, `qi worker`, `qi api`: the long-running processes; `qi migrate`: the one step that
brings the read model's schema up to date, run before any of them.

Each process stops on SIGTERM or Ctrl-C (`core.shutdown`) and then exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib

import click

from cli.environment import settings
from cli.exit_codes import EXIT_UNAVAILABLE
from cli.output import fail

__all__ = ["api", "migrate", "up", "worker"]


@click.command()
def up() -> None:
    """Run the stack: embedded Temporal (or QI_TEMPORAL_ADDRESS), the worker and the HTTP API.

    Run `qi migrate` first (`make run` does)."""
    from cli.up import run_stack

    # A stop (SIGTERM, Ctrl-C) cancels the stack; on Windows Ctrl-C is a KeyboardInterrupt.
    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(run_stack(settings()))
    except RuntimeError as exc:  # e.g. the API's port is taken
        fail(EXIT_UNAVAILABLE, str(exc))


@click.command()
def worker() -> None:
    """Run only the worker, against the Temporal the settings name.

    SIGTERM or Ctrl-C: polling stops and running activities get QI_GRACEFUL_SHUTDOWN_SECONDS
    to finish; then it exits 0. A second signal stops at once."""
    from worker import serve

    serve(settings())


@click.command()
def api() -> None:
    """Serve only the HTTP API (QI_API_HOST:QI_API_PORT), against the Temporal the settings
    name."""
    from api.app import docs_url, serve_api
    from core.shutdown import stop_on_signals
    from core.temporal import connect

    config = settings()

    async def go() -> None:
        stop_on_signals()
        client = await connect(config)
        click.echo(f"HTTP API: {docs_url(config)}")
        await serve_api(config, client)

    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(go())
    except RuntimeError as exc:
        fail(EXIT_UNAVAILABLE, str(exc))


@click.command()
def migrate() -> None:
    """Bring the read model (QI_DATABASE_URL) up to the latest schema, then exit."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import OperationalError

    from core.database import migrate as upgrade

    url = settings().resolved_database_url
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        upgrade(url)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig).split())  # drivers reply over several lines
        fail(EXIT_UNAVAILABLE, f"cannot reach the read model at {shown} ({reason})")
    click.echo(f"Read model at the latest schema: {shown}")
