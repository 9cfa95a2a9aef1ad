"""Where notification e-mails go: a log line on one machine, an SMTP relay in production.

A notifier only delivers. Deciding whether a message should go at all (at most once per
idempotency key) is the `send_notification` activity's job, through its ledger.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import aiosmtplib

from core.settings import NotifierKind, Settings
from models.effects import Message

__all__ = ["ConsoleNotifier", "Message", "Notifier", "SmtpNotifier", "build_notifier"]

log = logging.getLogger(__name__)


class Notifier(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver `message` or raise; a raise means it may be tried again."""
        ...


class ConsoleNotifier:
    """Logs one line per message. Subjects hold published facts only, so they may be logged;
    recipients and bodies are left out (they name people)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    async def send(self, message: Message) -> None:
        self._log.info("notification to %d recipient(s): %s", len(message.to), message.subject)


class SmtpNotifier:
    """Sends through an SMTP relay, one connection per message (reminders are rare)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = ", ".join(message.to)
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message.message_id or make_msgid(
            domain=self._sender.rpartition("@")[2] or None
        )
        email.set_content(message.body)
        return email

    async def send(self, message: Message) -> None:
        errors, _ = await aiosmtplib.send(
            self._email(message),
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._starttls,
            timeout=self._timeout,
        )
        if errors:
            # Some recipients were refused but the rest accepted it; sending again would
            # duplicate it for them, so this counts as delivered.
            log.warning("relay refused %d of %d recipient(s)", len(errors), len(message.to))


def build_notifier(settings: Settings) -> Notifier:
    """The notifier the settings ask for."""
    if settings.notifier is NotifierKind.SMTP:
        password = settings.smtp_password
        return SmtpNotifier(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    return ConsoleNotifier()
