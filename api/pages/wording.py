"""What the service writes, in words a person reads: the codes (`panel_convened`,
`senior_panel_member`) and ISO dates inside its rules and summaries, and times of day as the
NHS style guide writes them, on the UK's clock."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from api.pages.rendering import long_date
from models.catalogue import Recipient
from models.commands import Event
from models.intervention import DeadlineKind, Ended, State
from models.outside import HowEnded
from models.schedule import NoticeKind
from models.vocabulary import (
    ActionStatus,
    ApproverRole,
    ConcernSource,
    ConflictStatus,
    EscalationLevel,
    FindingCategory,
    MeetingFormat,
    PanelRole,
    Role,
)

__all__ = ["UK", "clock", "plain", "uk_day"]

# Where the service's users are: times are shown as a clock there reads them.
UK = ZoneInfo("Europe/London")

_CODES = frozenset(
    str(value)
    for vocabulary in (Event, State, Ended, PanelRole, FindingCategory, MeetingFormat,
                       ConflictStatus, ActionStatus, ApproverRole, EscalationLevel, Recipient,
                       DeadlineKind, NoticeKind, ConcernSource, Role, HowEnded)
    for value in vocabulary
)
_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_ABBREVIATIONS = {re.compile(r"\bimr\b"): "immediate mandatory requirement"}


def plain(text: str) -> str:
    """Text the service wrote (a rule, a summary) as a person reads it: its codes in words and
    its ISO dates as the NHS writes dates. Never applied to what a person typed."""

    def day(found: re.Match[str]) -> str:
        try:
            return long_date(date.fromisoformat(found.group(0)))
        except ValueError:
            return found.group(0)

    def code(found: re.Match[str]) -> str:
        return found.group(0).replace("_", " ") if found.group(0) in _CODES else found.group(0)

    text = _CODE.sub(code, _ISO_DATE.sub(day, text))
    for abbreviation, meaning in _ABBREVIATIONS.items():
        text = abbreviation.sub(meaning, text)
    return text


def clock(at: datetime) -> str:
    """A time as the NHS style guide writes it: 9am, 2:05pm, midday."""
    if at.minute == 0 and at.hour in (0, 12):
        return "midnight" if at.hour == 0 else "midday"
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes}{'am' if at.hour < 12 else 'pm'}"


def uk_day(at: datetime) -> date:
    """The day it was in the UK at `at`."""
    return at.astimezone(UK).date()
