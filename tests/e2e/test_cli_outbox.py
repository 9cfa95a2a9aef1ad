"""`qi outbox`: mail not delivered, oldest first, asked of the service by a signed-in
coordinator; a resend is refused for a message that was delivered, before Temporal is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from cli.exit_codes import EXIT_FORBIDDEN, EXIT_REFUSED, EXIT_UNKNOWN
from core.database import make_engine
from models.tables import Notification
from tests.e2e.conftest import Qi, StartStack

ID = "intervention-00000000-0000-4000-8000-000000000002"


def _message(qi: Qi, seq: int, status: str, age: timedelta, error: str | None = None) -> str:
    """A message in the outbox; a queued one waits a day for its next attempt, so the running
    worker's delivery loop leaves it queued while the test reads it."""
    key = f"{ID}:{seq}:notify:provider-lead"
    created = datetime.now(UTC) - age
    next_attempt = created + timedelta(days=1) if status == "queued" else created
    engine = make_engine(f"sqlite:///{qi.data_dir / 'read-model.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(insert(Notification).values(
            idempotency_key=key, intervention_id=ID, recipients=["dme@northshire.example.nhs.uk"],
            subject=f"Message {seq}", body="Dear Dr Morgan Hale, confidential", status=status,
            attempts=2, created_at=created, next_attempt_at=next_attempt, last_error=error,
        ))
    engine.dispose()
    return key


def test_outbox_lists_what_was_not_delivered_oldest_first_without_bodies(
    qi: Qi, qi_up: StartStack
) -> None:
    qi_up()
    _message(qi, 1, "sent", timedelta(hours=3))
    queued = _message(qi, 2, "queued", timedelta(minutes=5))
    dead = _message(qi, 3, "dead", timedelta(hours=2), "SMTPDataError 550")
    dean = qi.signed_in("dean.patel", role="dean")
    qi = qi.signed_in("c.okafor")

    listed = qi.json("outbox")
    table = qi.ok("outbox").stdout
    only_dead = qi.json("outbox", "--status", "dead")

    assert [(m["key"], m["status"]) for m in listed] == [(dead, "dead"), (queued, "queued")]
    assert listed[0]["last_error"] == "SMTPDataError 550"
    assert listed[0]["age_seconds"] >= 7200
    assert "confidential" not in table
    assert "confidential" not in str(listed)
    assert "dead" in table
    assert [m["key"] for m in only_dead] == [dead]
    assert dean("outbox").returncode == EXIT_FORBIDDEN  # the outbox is the coordinators'


def test_resending_a_delivered_or_unknown_key_is_refused_with_the_reason(
    qi: Qi, qi_up: StartStack
) -> None:
    qi_up()
    sent = _message(qi, 1, "sent", timedelta(hours=1))
    qi = qi.signed_in("ops.oncall")

    delivered = qi("outbox", "resend", sent)
    missing = qi("outbox", "resend", f"{ID}:9:notify:nobody")

    assert delivered.returncode == EXIT_REFUSED
    assert "only dead or unknown messages can be resent" in delivered.stderr
    assert missing.returncode == EXIT_UNKNOWN


def test_the_status_choices_are_the_undelivered_states() -> None:
    # Spelled out in cli/outbox.py so `qi outbox --help` needs no database import.
    from cli.outbox import outbox
    from models.outbox import UNDELIVERED

    option = next(p for p in outbox.params if p.name == "statuses")
    assert list(option.type.choices) == [s.value for s in UNDELIVERED]  # type: ignore[attr-defined]
