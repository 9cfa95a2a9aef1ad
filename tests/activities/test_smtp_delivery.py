"""SMTP delivery against a real local SMTP server (aiosmtpd), through the activity."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as ParsedEmail
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from core.notifier import SmtpNotifier
from models.effects import Message, SendNotificationInput
from models.errors import ErrorType
from models.tables import Notification
from tests.snapshots import count

SENDER = "quality-team@example.nhs.uk"
RECIPIENTS = ["dme@northshire.example.nhs.uk", "c.okafor@quality.example.nhs.uk"]


class Inbox:
    """aiosmtpd handler keeping every envelope; refuses every recipient when told to."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse_recipients = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_recipients:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self) -> list[ParsedEmail]:
        return [message_from_bytes(e.original_content) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _notifier(port: int) -> SmtpNotifier:
    return SmtpNotifier(host="127.0.0.1", port=port, sender=SENDER, timeout=5)


def _input() -> SendNotificationInput:
    return SendNotificationInput(
        idempotency_key="urgent-risk-review-rxx01-0001:2:notify:panel",
        intervention_id="urgent-risk-review-rxx01-0001",
        message=Message(
            to=RECIPIENTS,
            subject="Panel convened: Urgent Risk Review",
            body="You are on the panel, chaired by Dr Ada Senior.",
        ),
    )


async def test_message_arrives_with_subject_and_recipients(
    engine: Engine, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    activities = NotificationActivities(engine, _notifier(port))
    env = ActivityEnvironment()

    assert await env.run(activities.send_notification, _input()) is True
    assert await env.run(activities.send_notification, _input()) is False

    [envelope] = handler.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == RECIPIENTS
    [email] = handler.parsed()
    assert email["Subject"] == "Panel convened: Urgent Risk Review"
    assert email["To"] == ", ".join(RECIPIENTS)
    assert "chaired by Dr Ada Senior" in email.get_payload()


async def test_refused_recipients_fail_retryably_without_a_claim(
    engine: Engine, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    handler.refuse_recipients = True
    activities = NotificationActivities(engine, _notifier(port))

    with pytest.raises(ApplicationError, match="SMTPRecipientsRefused") as raised:
        await ActivityEnvironment().run(activities.send_notification, _input())

    assert raised.value.type == ErrorType.DELIVERY_FAILED
    assert not raised.value.non_retryable
    assert "@" not in str(raised.value)
    assert count(engine, Notification) == 0


async def test_unreachable_relay_fails_retryably_without_a_claim(engine: Engine) -> None:
    activities = NotificationActivities(engine, _notifier(_free_port()))

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(activities.send_notification, _input())

    assert raised.value.type == ErrorType.DELIVERY_FAILED
    assert not raised.value.non_retryable
    assert count(engine, Notification) == 0
