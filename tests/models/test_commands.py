"""Bad input to the command contracts gets an error that names the field at fault."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter

from models.commands import (
    AcceptAction,
    AddAction,
    Cancel,
    ConvenePanel,
    RecordMeeting,
    ScheduleMeeting,
    StartRequest,
    TransferAction,
)
from models.intervention import Concern

CONCERN = {"likelihood": 4, "impact": 4, "summary": "Night-time supervision gaps"}
START = {
    "type": "urgent_risk_review",
    "provider": {
        "code": "RXX",
        "name": "Example Hospitals NHS Foundation Trust",
        "site": "City General",
        "lead_name": "Sam Patel",
        "lead_email": "sam.patel@provider.example.nhs.uk",
    },
    "concern": CONCERN,
    "coordinator": "qt.officer",
    "coordinator_email": "qt.officer@quality.example.nhs.uk",
}
MEMBER = {
    "name": "Chris Chair",
    "email": "chris.chair@panel.example.nhs.uk",
    "roles": ["senior_panel_member"],
    "interests_declared": True,
}
ACTION = {
    "actor": "qt.officer",
    "finding_id": "F1",
    "description": "Put a named senior on call every night.",
    "owner_name": "Dana Okafor",
    "owner_email": "dme@provider.example.nhs.uk",
    "due_on": "2026-05-01",
}


def _errors(model: type[BaseModel], payload: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(location, error type) of every problem pydantic finds."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)
    return [(err["loc"], err["type"]) for err in caught.value.errors()]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("likelihood", 0, "greater_than_equal"),
        ("likelihood", 6, "less_than_equal"),
        ("impact", 0, "greater_than_equal"),
        ("impact", 6, "less_than_equal"),
    ],
)
def test_risk_scores_outside_one_to_five_are_refused(field: str, value: int, error: str) -> None:
    assert _errors(Concern, {**CONCERN, field: value}) == [((field,), error)]
    start = {**START, "concern": {**CONCERN, field: value}}
    assert _errors(StartRequest, start) == [(("concern", field), error)]


@pytest.mark.parametrize("score", [1, 5])
def test_risk_scores_at_the_ends_of_the_scale_are_accepted(score: int) -> None:
    concern = Concern.model_validate({**CONCERN, "likelihood": score, "impact": score})
    assert concern.score == score * score


@pytest.mark.parametrize("empty", ["", "   "], ids=["empty", "blank"])
def test_empty_text_is_refused(empty: str) -> None:
    assert _errors(Cancel, {"actor": "qt.officer", "reason": empty}) == [
        (("reason",), "string_too_short")
    ]


def test_short_text_over_200_characters_is_refused() -> None:
    payload = {"actor": "qt.officer", "action_id": "A1", "reason": "Regional funding."}
    accepted = TransferAction.model_validate({**payload, "transferred_to": "x" * 200})

    assert len(accepted.transferred_to) == 200
    assert _errors(TransferAction, {**payload, "transferred_to": "x" * 201}) == [
        (("transferred_to",), "string_too_long")
    ]


def test_long_text_over_4000_characters_is_refused() -> None:
    accepted = Cancel.model_validate({"actor": "qt.officer", "reason": "x" * 4000})

    assert len(accepted.reason) == 4000
    assert _errors(Cancel, {"actor": "qt.officer", "reason": "x" * 4001}) == [
        (("reason",), "string_too_long")
    ]


def test_text_is_stripped_before_its_length_is_checked() -> None:
    cancel = Cancel.model_validate({"actor": "qt.officer", "reason": "  Resolved.  "})
    assert cancel.reason == "Resolved."


def test_unknown_fields_are_refused() -> None:
    payload = {"actor": "qt.officer", "scheduled_on": "2026-04-01", "format": "virtual"}
    assert _errors(ScheduleMeeting, {**payload, "room": "Seminar room 2"}) == [
        (("room",), "extra_forbidden")
    ]


def test_unknown_fields_inside_a_nested_model_are_refused() -> None:
    panel = {"actor": "qt.officer", "chair": "Chris Chair", "members": [{**MEMBER, "age": 50}]}
    assert _errors(ConvenePanel, panel) == [(("members", 0, "age"), "extra_forbidden")]


@pytest.mark.parametrize("email", ["dana.okafor", "dana@", "dana okafor@provider.nhs.uk"])
def test_a_bad_email_is_refused(email: str) -> None:
    assert _errors(AddAction, {**ACTION, "owner_email": email}) == [
        (("owner_email",), "string_pattern_mismatch")
    ]


def test_duplicate_panel_member_names_are_refused_naming_members() -> None:
    twin = {**MEMBER, "name": " chris CHAIR ", "email": "other@panel.example.nhs.uk"}
    panel = {"actor": "qt.officer", "chair": "Chris Chair", "members": [MEMBER, twin]}

    with pytest.raises(ValidationError) as caught:
        ConvenePanel.model_validate(panel)

    [error] = caught.value.errors()
    assert error["loc"] == ("members",)
    assert "unique" in error["msg"]


def test_an_unknown_enum_value_is_refused() -> None:
    payload = {
        "actor": "qt.officer",
        "held_on": date(2026, 4, 15),
        "format": "carrier_pigeon",
        "attendance": {"learners": 3},
    }
    assert _errors(RecordMeeting, payload) == [(("format",), "enum")]


def test_an_unknown_panel_role_is_refused() -> None:
    panel = {
        "actor": "qt.officer",
        "chair": "Chris Chair",
        "members": [{**MEMBER, "roles": ["chief_wizard"]}],
    }
    assert (("members", 0, "roles", 0), "enum") in _errors(ConvenePanel, panel)


def test_a_negative_attendance_count_is_refused() -> None:
    payload = {
        "actor": "qt.officer",
        "held_on": date(2026, 4, 15),
        "format": "virtual",
        "attendance": {"learners": -1},
    }
    assert _errors(RecordMeeting, payload) == [(("attendance", "learners"), "greater_than_equal")]


def test_an_actor_with_spaces_is_refused() -> None:
    assert _errors(Cancel, {"actor": "Quality Team", "reason": "Resolved."}) == [
        (("actor",), "string_pattern_mismatch")
    ]


def test_a_command_without_the_senders_email_is_the_payload_it_always_was() -> None:
    before = b'{"actor":"qt.officer","reason":null,"action_id":"A1","evidence":"Rota"}'
    (payload,) = pydantic_data_converter.payload_converter.to_payloads(
        [AcceptAction(actor="qt.officer", action_id="A1", evidence="Rota")])

    assert payload.data == before
    (decoded,) = pydantic_data_converter.payload_converter.from_payloads([payload], [AcceptAction])
    assert decoded.actor_email is None


def test_a_command_carries_the_senders_email_through_its_payload() -> None:
    command = AcceptAction(actor="qt.officer", actor_email="QT.Officer@quality.example.nhs.uk",
                           action_id="A1", evidence="Rota")
    converter = pydantic_data_converter.payload_converter

    (decoded,) = converter.from_payloads(converter.to_payloads([command]), [AcceptAction])

    assert decoded.actor_email == "QT.Officer@quality.example.nhs.uk"


def test_the_senders_email_must_be_an_email() -> None:
    with pytest.raises(ValidationError) as invalid:
        AcceptAction(actor="qt.officer", actor_email="qt.officer", action_id="A1",
                     evidence="Rota")

    assert [error["loc"] for error in invalid.value.errors()] == [("actor_email",)]
