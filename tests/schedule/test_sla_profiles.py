"""A deployment's SLA profile is checked when the catalogue loads; a bad one names the field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from models.catalogue import build_catalogue, load_catalogue
from models.errors import ErrorType, ProblemError


def _load(tmp_path: Path, toml: str) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(toml, encoding="utf-8")
    load_catalogue(path)


@pytest.mark.parametrize(
    ("toml", "field", "rule"),
    [
        ("[sla.urgent]\nfirst_meeting_days = -3\n",
         "types.urgent_risk_review.sla.first_meeting_days", "greater than 0"),
        ("[sla.urgent]\nreminder_offsets = [5, 1]\n",
         "types.urgent_risk_review.sla", "reminder_offsets: 5 working days is not shorter than "
         "convene_panel_days (5)"),
        ("[sla.default]\nreminder_offsets = [0]\n",
         "types.programme_review.sla", "reminder_offsets: 0 must be a positive number"),
        ('[sla.default]\nescalation_chain = [{ to = "dean", after_days = 10 }, '
         '{ to = "owner", after_days = 1 }]\n',
         "types.programme_review.sla", "escalation_chain: rungs must be in order"),
        ('[sla.default]\nescalation_chain = [{ to = "the_board", after_days = 1 }]\n',
         "types.programme_review.sla.escalation_chain.0.to", "Input should be"),
        ('[sla.lean]\nconvene_panel_days = 5\n[types.desk_review]\nname = "Desk Review"\n'
         'why = "w"\nwhat = "w"\nwho = "w"\noutcome = "o"\nsla = "missing_profile"\n',
         "types.desk_review.sla", "no SLA profile named 'missing_profile'"),
    ],
    ids=["negative-deadline", "offset-not-shorter", "zero-offset", "chain-out-of-order",
         "unknown-recipient", "unknown-profile"],
)
def test_bad_profile_names_field_and_rule(tmp_path: Path, toml: str, field: str, rule: str) -> None:
    with pytest.raises(ProblemError) as bad:
        _load(tmp_path, toml)
    assert bad.value.error_type is ErrorType.CATALOGUE_INVALID
    assert any(p.field == field and rule in p.rule for p in bad.value.problems), bad.value


def test_missing_deadline_is_named() -> None:
    shipped = tomllib.loads(
        (Path(__file__).parents[2] / "models" / "catalogue.toml").read_text(encoding="utf-8")
    )
    del shipped["sla"]["default"]["draft_report_days"]
    del shipped["sla"]["urgent"]["draft_report_days"]
    with pytest.raises(ProblemError) as bad:
        build_catalogue(shipped)
    fields = {p.field for p in bad.value.problems}
    assert "types.urgent_risk_review.sla.draft_report_days" in fields
    assert all(p.rule == "Field required" for p in bad.value.problems)


def test_a_profile_can_change_reminders_without_code(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text("[sla.urgent]\nreminder_offsets = [4, 2]\nstall_days = 5\n", encoding="utf-8")
    sla = load_catalogue(path).get("urgent_risk_review").sla
    assert sla.reminder_offsets == (4, 2)
    assert sla.stall_days == 5


def test_two_types_answering_to_one_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as bad:
        _load(tmp_path, '[types.programme_review]\naliases = ["Urgent Concern Review"]\n')
    assert "urgent_risk_review and programme_review both answer to 'urgent concern review'" in str(
        bad.value
    )


def test_a_misspelt_table_is_named_not_ignored(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as bad:
        _load(tmp_path, '[type.desk_review]\nname = "Desk Review"\n')
    assert [(p.field, p.rule) for p in bad.value.problems] == [
        ("type", "unknown table; a catalogue has risk_bands, sla, types")
    ]


def test_an_unreadable_override_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProblemError, match=r"QI_CATALOGUE: cannot read .* \(IsADirectoryError\)"):
        load_catalogue(tmp_path)
