"""Each notice's message says what it is: a subject per kind and escalation rung, with nothing
repeated; an escalation with no address for its rung is not sent at all."""

from __future__ import annotations

from datetime import date

from models.catalogue import Recipient
from models.intervention import Contacts
from models.messages import notice_message, unaddressed
from models.schedule import Notice, NoticeKind
from tests.schedule.test_notices import _data

HEADING = "Urgent Risk Review at Northshire, ED"
CONTACTS = Contacts(quality_lead_email="ql@example.nhs.uk", dean_email="dean@example.nhs.uk")


def _notice(kind: NoticeKind, about: str, recipient: Recipient, *, step: int = 0,
            due_on: date | None = date(2030, 12, 9)) -> Notice:
    return Notice(key="k", kind=kind, on=date(2030, 12, 4), about=about, due_on=due_on,
                  recipient=recipient, step=step)


def test_every_kind_and_escalation_rung_has_its_own_subject() -> None:
    data = _data(contacts=CONTACTS)
    rungs = len(data.type.sla.escalation_chain)
    subjects = [notice_message(n, data).subject for n in (
        _notice(NoticeKind.reminder, "convene panel", Recipient.coordinator),
        _notice(NoticeKind.meeting_reminder, "meeting M1", Recipient.panel),
        _notice(NoticeKind.progress, "progress update 2", Recipient.action_owner, due_on=None),
        _notice(NoticeKind.stall, "no command since 2030-12-02", Recipient.coordinator,
                due_on=None),
        _notice(NoticeKind.escalation, "convene panel", Recipient.coordinator, step=0),
        _notice(NoticeKind.escalation, "convene panel", Recipient.quality_lead, step=1),
        _notice(NoticeKind.escalation, "convene panel", Recipient.dean, step=rungs - 1),
    )]

    assert subjects == [
        f"Reminder: convene panel due on 2030-12-09 - {HEADING}",
        f"Meeting reminder: meeting M1 booked for 2030-12-09 - {HEADING}",
        f"Progress update requested: progress update 2 - {HEADING}",
        f"Stalled intervention: no command since 2030-12-02 - {HEADING}",
        f"Escalation 1: convene panel overdue since 2030-12-09 - {HEADING}",
        f"Escalation 2 to the quality lead: convene panel overdue since 2030-12-09 - {HEADING}",
        f"Final escalation to the Postgraduate Dean: convene panel overdue since 2030-12-09"
        f" - {HEADING}",
    ]
    for subject in subjects:
        words = subject.split(" - ")[0].split(": ")
        assert len(words) == len(set(words)), subject  # no fragment said twice


def test_an_escalation_with_no_address_for_its_rung_says_why_it_is_not_sent() -> None:
    to_dean = _notice(NoticeKind.escalation, "convene panel", Recipient.dean, step=2)
    to_lead = _notice(NoticeKind.escalation, "convene panel", Recipient.quality_lead, step=1)
    only_lead = Contacts(quality_lead_email="ql@example.nhs.uk")

    assert unaddressed(to_dean, _data(contacts=CONTACTS)) is None
    assert unaddressed(to_lead, _data(contacts=only_lead)) is None
    assert unaddressed(to_dean, _data(contacts=only_lead)) == (
        "no Postgraduate Dean address is configured (QI_DEAN_EMAIL)")
    assert unaddressed(to_lead, _data()) == (
        "no quality lead address is configured (QI_QUALITY_LEAD_EMAIL)")
    reminder = _notice(NoticeKind.reminder, "convene panel", Recipient.coordinator)
    assert unaddressed(reminder, _data()) is None
