"""Test seams: a notifier that keeps what it was asked to send."""

from __future__ import annotations

import asyncio

from models.effects import Message


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


class DroppingNotifier(RecordingNotifier):
    """Fails every message whose subject starts with `prefix`, as a worker whose mail server
    has gone away would; `failed` is set at the first failure."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.failed = asyncio.Event()

    async def send(self, message: Message) -> None:
        if message.subject.startswith(self.prefix):
            self.failed.set()
            raise ConnectionError("mail server closed the connection")
        await super().send(message)
