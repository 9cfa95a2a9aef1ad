"""`qi up`: everything a coordinator needs on one machine, stopped together by Ctrl-C.

The read model is not migrated here: `make run` runs `qi migrate` first.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any

from api.app import bind_api_socket, codec_url, docs_url, pages_url, serve_api
from api.auth import SESSION_COOKIE
from core.settings import Settings
from core.shutdown import stop_on_signals
from core.stack import EmbeddedTemporal
from core.temporal import client_config, connect, keys, uses_embedded_server
from worker import run_worker

__all__ = ["run_stack"]


async def _worker_and_api(settings: Settings, api_socket: socket.socket,
                          *alongside: Coroutine[Any, Any, None]) -> None:
    """The worker and the HTTP API (and whatever runs `alongside`) side by side; any failing
    stops them all."""
    client = await connect(settings)
    async with asyncio.TaskGroup() as group:
        group.create_task(run_worker(settings))
        group.create_task(serve_api(settings, client, api_socket))
        for coroutine in alongside:
            group.create_task(coroutine)


async def run_stack(settings: Settings) -> None:
    """Run until SIGTERM or Ctrl-C cancels it; cancellation stops every part, in order."""
    stop_on_signals()
    # Taken first: a port in use fails before anything starts.
    api_socket = bind_api_socket(settings)
    try:
        await _run(settings, api_socket)
    finally:
        api_socket.close()


def _first_steps(settings: Settings) -> str:
    """How to start driving interventions: with no user yet, how to make the first one."""
    from core.database import make_engine
    from core.users import list_users

    engine = make_engine(settings.resolved_database_url)
    try:
        anyone = bool(list_users(engine))
    finally:
        engine.dispose()
    if anyone:
        return ("Drive interventions from another terminal: `.venv/bin/qi login` with a token "
                "from `qi tokens issue NAME`, then `.venv/bin/qi --help`. A password for the "
                "pages: `.venv/bin/qi users set-password NAME`.")
    return ("No users yet. In another terminal, make yourself the first coordinator and sign "
            "in:\n  .venv/bin/qi users add YOUR.NAME --role coordinator --email YOU@EXAMPLE.NHS.UK "
            "--login\nthen `.venv/bin/qi --help`; `.venv/bin/qi users set-password YOUR.NAME` "
            "gives you a password for the pages.")


async def _run(settings: Settings, api_socket: socket.socket) -> None:
    config = client_config(settings)
    keys(settings)  # before anything starts: a missing key file is one line, made if embedded
    if not uses_embedded_server(settings):
        print(f"Worker and HTTP API, against Temporal at {config['target_host']} "
              f"(namespace {config['namespace']}).\n"
              f"HTTP API:    {docs_url(settings)}\n"
              f"Pages:       {pages_url(settings)}", flush=True)
        await _worker_and_api(settings, api_socket)
        return
    from core.web_ui import bind_front_socket, serve_web_ui_front

    # The Web UI that people open is a front on QI_UI_PORT (core.web_ui); the dev server's own
    # UI listens on a port of its own behind it.
    ui_socket = bind_front_socket("127.0.0.1", settings.ui_port)
    data_dir = settings.data_dir.resolve()
    server = EmbeddedTemporal(
        db_file=data_dir / "temporal.sqlite3",
        port=settings.temporal_port,
        ui_port=_free_port(),
        namespace=config["namespace"],
        codec_endpoint=codec_url(settings),
    )
    try:
        # Inside the try: a stop or a failure while it comes up must not orphan the server.
        await server.start()
        print(
            f"Temporal dev server on {server.address} (data in {server.db_file})\n"
            f"Web UI:      {settings.resolved_ui_origin}/namespaces/{server.namespace}/workflows"
            "\n"
            f"Read model:  {settings.resolved_database_url}\n"
            f"HTTP API:    {docs_url(settings)}\n"
            f"Pages:       {pages_url(settings)}\n"
            f"{_first_steps(settings)}\n"
            f"Ctrl-C stops everything.",
            flush=True,
        )
        front = serve_web_ui_front(ui_socket, server.ui_url, hidden_cookies=[SESSION_COOKIE])
        await _worker_and_api(settings, api_socket, front)
    finally:
        ui_socket.close()
        await server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
