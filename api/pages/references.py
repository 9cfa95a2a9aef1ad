"""The items of an intervention a form offers where a field names one (a meeting, a finding, an
action): only those the command can sensibly take, each labelled as a person knows it.

A person picks what exists instead of typing its ID: its ID, an en dash, then what they know
it by ("booked for 4 December 2026, in person"; "Rota review, owner Dr Hale, due 31 January
2027"; "Immediate mandatory requirement: Supervision gaps"). What is offered is a
courtesy, not a check: the value posted goes to the lifecycle, which refuses an item that does
not exist or is no longer open, as it refuses anything else.
"""

from __future__ import annotations

from collections.abc import Callable

from api.pages.forms import Choice, Refers
from api.pages.rendering import long_date, words
from models.commands import Event
from models.intervention import Action, Finding, InterventionData, Meeting
from models.vocabulary import FindingCategory, MeetingFormat

__all__ = ["NOT_BOOKED", "none_to_choose", "offered"]

# Of a meeting recorded without a booking: the choice that names none.
NOT_BOOKED = Choice("", "It was not booked")
_DASH = "\u2013"
# How long an item's own text may run in its label before it is cut short.
_SHORT = 60
_FORMATS = {MeetingFormat.FACE_TO_FACE: "in person", MeetingFormat.VIRTUAL: "virtual",
            MeetingFormat.HYBRID: "hybrid (in person and virtual)"}


def _short(text: str) -> str:
    """The text on one line, cut short after a whole word if it is long."""
    text = " ".join(text.split())
    if len(text) <= _SHORT:
        return text
    cut = text[:_SHORT + 1].rsplit(" ", 1)[0] if " " in text[:_SHORT + 1] else text[:_SHORT]
    return cut.rstrip(" ,.;:-") + "\u2026"


def _meeting(m: Meeting) -> Choice:
    when = f"booked for {long_date(m.scheduled_on)}" if m.scheduled_on else "not booked"
    return Choice(m.id, f"{m.id} {_DASH} {when}, {_FORMATS.get(m.format, words(m.format).lower())}")


def _finding(f: Finding) -> Choice:
    category = words(f.category) if f.category else "Not classed"
    return Choice(f.id, f"{f.id} {_DASH} {category}: {_short(f.text)}")


def _action(a: Action) -> Choice:
    return Choice(a.id, f"{a.id} {_DASH} {_short(a.description)}, owner {a.owner_name}, due "
                        f"{long_date(a.due_on)}")


def _booked(data: InterventionData) -> list[Choice]:
    return [_meeting(m) for m in data.meetings if m.held_on is None and m.scheduled_on]


def _answerable(data: InterventionData) -> list[Choice]:
    """Before the report, actions answer only immediate mandatory requirements; after it, any
    finding but good practice."""
    immediate = FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT
    if data.report is None:
        return [_finding(f) for f in data.findings if f.category is immediate]
    return [_finding(f) for f in data.findings if f.category is not FindingCategory.GOOD_PRACTICE]


def _open(data: InterventionData) -> list[Choice]:
    return [_action(a) for a in data.open_actions()]


_OFFERS: dict[Refers, Callable[[InterventionData], list[Choice]]] = {
    Refers.meeting: _booked,
    Refers.finding: _answerable,
    Refers.action: _open,
}

_NONE = {
    Refers.meeting: "No meeting is booked and waiting to be held.",
    Refers.finding: "There is no finding an action can answer yet.",
    Refers.action: "There is no open action.",
}
_NONE_FOR = {
    Event.record_meeting: "No meeting is booked and waiting to be held, so this records a "
                          "meeting that was not booked.",
    Event.add_action: "There is no finding an action can answer yet: before the report is "
                      "issued, actions answer only immediate mandatory requirements.",
}


def offered(refers: Refers, data: InterventionData) -> list[Choice]:
    """The items a field naming a `refers` may choose from, in the intervention's order."""
    return _OFFERS[refers](data)


def none_to_choose(refers: Refers, event: Event) -> str:
    """What the form says in place of a choice when there is nothing to choose."""
    return _NONE_FOR.get(event, _NONE[refers])
