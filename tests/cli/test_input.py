"""Input as people type it: dates three ways, several roles with `,` or `+`, lists by repeating
the option or with commas."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cli.options import InputError, assemble, field_options
from models.commands import ConvenePanel, RecordMeeting
from models.formats import parse_date


@pytest.mark.parametrize(("typed", "meant"), [
    ("2027-03-31", "2027-03-31"), ("31/03/2027", "2027-03-31"), ("1/4/2027", "2027-04-01"),
    (" Today ", datetime.now(UTC).astimezone().date().isoformat()),
])
def test_dates_are_read_as_people_type_them(typed: str, meant: str) -> None:
    assert parse_date(typed) == meant


@pytest.mark.parametrize("typed", ["03/13/2026", "2027-02-30", "tomorrow", "2027-3-1", ""])
def test_a_date_that_is_not_one_says_which_formats_are(typed: str) -> None:
    with pytest.raises(ValueError, match=r"give YYYY-MM-DD, today, or DD/MM/YYYY"):
        parse_date(typed)


def test_a_members_roles_may_be_separated_by_comma_or_plus() -> None:
    options = field_options(ConvenePanel)
    values = {"actor": "c.okafor", "chair": "Dr A", "members": (
        "name=Dr A; email=a@x.nhs.uk; roles=senior_panel_member,subject_expert",
        "name=Dr B; email=b@x.nhs.uk; roles=external_member + lay_representative",
    )}

    panel = ConvenePanel.model_validate(assemble(options, values, None))

    assert [list(m.roles) for m in panel.members] == [
        ["senior_panel_member", "subject_expert"], ["external_member", "lay_representative"]]


def test_a_bad_date_names_its_option() -> None:
    options = field_options(RecordMeeting)

    with pytest.raises(InputError, match=r"^--held-on: '03/13/2026' is not a date"):
        assemble(options, {"held_on": "03/13/2026"}, None)


def test_a_date_given_as_today_reaches_the_contract_as_a_date() -> None:
    options = field_options(RecordMeeting)
    values = {"actor": "c.okafor", "held_on": "today", "format": "virtual",
              "attendance__learners": "3",
              "immediate_mandatory_requirements": ("No cover, at night", "No induction")}

    meeting = RecordMeeting.model_validate(assemble(options, values, None))

    assert meeting.held_on == datetime.now(UTC).astimezone().date()
    # Free text keeps its commas: only lists of fixed values split on them.
    assert meeting.immediate_mandatory_requirements == ["No cover, at night", "No induction"]
