"""Input as people type it: dates three ways, several roles with `,` or `+`, lists by repeating
the option or with commas; what reaches the service is what its body takes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from cli import cli
from cli.options import InputError, assemble, command_options
from models.bodies import COMMAND_BODIES
from models.commands import Event
from models.formats import parse_date
from tests.cli.stub_service import REFERENCE, Stub

ConvenePanel = COMMAND_BODIES[Event.convene_panel]
RecordMeeting = COMMAND_BODIES[Event.record_meeting]


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
    options = command_options("convene-panel")
    values = {"chair": "Dr A", "members": (
        "name=Dr A; email=a@x.nhs.uk; roles=senior_panel_member,subject_expert",
        "name=Dr B; email=b@x.nhs.uk; roles=external_member + lay_representative",
    )}

    panel = ConvenePanel.model_validate(assemble(options, values, None))

    assert [list(m.roles) for m in panel.members] == [
        ["senior_panel_member", "subject_expert"], ["external_member", "lay_representative"]]


def test_a_bad_date_names_its_option() -> None:
    options = command_options("record-meeting")

    with pytest.raises(InputError, match=r"^--held-on: '03/13/2026' is not a date"):
        assemble(options, {"held_on": "03/13/2026"}, None)


def test_a_date_given_as_today_reaches_the_contract_as_a_date() -> None:
    options = command_options("record-meeting")
    values = {"held_on": "today", "format": "virtual",
              "attendance__learners": "3",
              "immediate_mandatory_requirements": ("No cover, at night", "No induction")}

    meeting = RecordMeeting.model_validate(assemble(options, values, None))

    assert meeting.held_on == datetime.now(UTC).astimezone().date()
    # Free text keeps its commas: only lists of fixed values split on them.
    assert meeting.immediate_mandatory_requirements == ["No cover, at night", "No induction"]


def test_what_was_typed_reaches_the_service_as_its_body_takes_it(signed_in: Stub) -> None:
    done = CliRunner().invoke(cli, [
        "record-meeting", REFERENCE, "--held-on", "31/03/2027", "--format", "virtual",
        "--attendance-learners", "3", "--immediate-mandatory-requirements", "No cover, at night",
    ])

    assert done.exit_code == 0, done.output
    assert signed_in.received == [("record_meeting", {
        "held_on": "2027-03-31", "format": "virtual", "attendance": {"learners": 3},
        "immediate_mandatory_requirements": ["No cover, at night"]})]
    assert done.stdout == (f"record-meeting: {REFERENCE} is now planned "
                           "(ready next: convene-panel)\n")


def test_items_and_their_yes_or_no_reach_the_service_as_values(signed_in: Stub) -> None:
    done = CliRunner().invoke(cli, [
        "convene-panel", REFERENCE, "--chair", "Dr A", "--members",
        "name=Dr A; email=a@x.nhs.uk; roles=senior_panel_member+subject_expert; "
        "interests_declared=yes"])

    assert done.exit_code == 0, done.output
    [(command, body)] = signed_in.received
    assert command == "convene_panel"
    member = body["members"][0]
    assert member["roles"] == ["senior_panel_member", "subject_expert"]
    assert member["interests_declared"] is True
