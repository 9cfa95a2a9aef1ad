"""A real local SMTP relay (aiosmtpd) that a test can make fail, and a wait for a condition.

`Relay.answers` scripts the relay's reply to each message's DATA, in order; once they are used
up every message is accepted. A message counts as a copy when the relay has taken all of it and
did not refuse it, including one it never answered (`HANG`): that one may well have arrived.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message as ParsedEmail
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core.notifier import SmtpNotifier

__all__ = ["HANG", "SENDER", "Relay", "eventually", "relay", "smtp_notifier"]

SENDER = "quality-team@example.nhs.uk"
HANG = "hang"
# How long the relay sits on a message it never answers: longer than any client waits.
_HANG_SECONDS = 5.0


class Relay:
    def __init__(self) -> None:
        self.port = 0
        self.answers: list[str] = []
        self.copies: list[ParsedEmail] = []
        self.refused = 0
        self.on_data: Callable[[], None] | None = None  # called with each copy taken

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer[0] in "45":
            self.refused += 1
            return answer
        self.copies.append(message_from_bytes(envelope.original_content))
        if self.on_data is not None:
            self.on_data()
        if answer == HANG:
            await asyncio.sleep(_HANG_SECONDS)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(copy["Message-ID"]) for copy in self.copies]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def relay() -> Iterator[Relay]:
    handler = Relay()
    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def smtp_notifier(relay: Relay, *, timeout: float = 5.0) -> SmtpNotifier:
    return SmtpNotifier(host="127.0.0.1", port=relay.port, sender=SENDER, timeout=timeout)


async def eventually(check: Callable[[], bool], what: str, *, within: float = 20.0) -> None:
    """Return once `check()` holds (run in a thread: it may query a database); fail after
    `within` seconds, saying `what` did not happen."""
    for _ in range(int(within / 0.02)):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"{what}: not within {within} s")
