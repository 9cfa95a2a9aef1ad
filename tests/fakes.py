"""Test seams: a notifier that keeps what it was asked to send."""

from __future__ import annotations

from models.effects import Message


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)
