"""Serving an ASGI app inside a process that owns its signals (`qi up`, `qi api`): the server
stops when its task is cancelled, finishing what is in flight, and never by signals of its own."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn

__all__ = ["serve_until_cancelled"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the process has one owner of its signals


async def serve_until_cancelled(config: uvicorn.Config, sock: socket.socket) -> None:
    """Serve on `sock` until cancelled; then let the requests in flight finish and re-raise."""
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        await task
        raise
