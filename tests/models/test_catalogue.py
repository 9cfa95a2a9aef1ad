"""The intervention-type catalogue: shipped types, lookup, overrides and risk bands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from models.catalogue import Catalogue, RiskBand, RiskBands, load_catalogue
from models.errors import ErrorType, Problem, ProblemError
from models.vocabulary import ApproverRole, PanelRole

R = PanelRole
Override = Callable[[str], Path]

SHIPPED_CODES = [
    "urgent_risk_review",
    "programme_review",
    "learner_educator_review",
    "senior_leader_engagement",
    "specialty_expert_review",
    "sharing_good_practice",
]

REQUIRED_ROLES = {
    "urgent_risk_review": (R.SENIOR_PANEL_MEMBER, R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
    "programme_review": (R.CLINICAL_FACULTY,),
    "learner_educator_review": (R.LAY_REPRESENTATIVE,),
    "senior_leader_engagement": (R.SENIOR_QUALITY_LEAD,),
    "specialty_expert_review": (R.SUBJECT_EXPERT, R.EXTERNAL_MEMBER),
    "sharing_good_practice": (),
}

NEW_TYPE = """
[types.follow_up_visit]
name = "Follow-up Visit"
why = "To check that an earlier review's requirements have been met."
what = "A short visit to the same clinical learning environment."
who = "The original chair and one other panel member."
outcome = "Requirements confirmed as met, or escalated."
required_roles = ["senior_panel_member"]
sla = "urgent"
"""


def _problems(excinfo: pytest.ExceptionInfo[ProblemError]) -> list[Problem]:
    assert excinfo.value.error_type is ErrorType.CATALOGUE_INVALID
    return excinfo.value.problems


# -- the shipped catalogue ---------------------------------------------------------------------


def test_six_types_are_shipped_and_active(catalogue: Catalogue) -> None:
    assert [t.code for t in catalogue.active()] == SHIPPED_CODES


@pytest.mark.parametrize("code", SHIPPED_CODES)
def test_each_type_requires_its_panel_roles(catalogue: Catalogue, code: str) -> None:
    assert catalogue.get(code).required_roles == REQUIRED_ROLES[code]


def test_programme_review_is_led_by_clinical_faculty(catalogue: Catalogue) -> None:
    assert catalogue.get("programme_review").chair_roles == (R.CLINICAL_FACULTY,)


def test_urgent_review_closure_is_approved_by_the_dean_or_a_delegate(catalogue: Catalogue) -> None:
    assert catalogue.get("urgent_risk_review").closure_approver_roles == (
        ApproverRole.DEAN,
        ApproverRole.DEAN_DELEGATE,
    )


def test_urgent_review_uses_the_urgent_sla_profile(catalogue: Catalogue) -> None:
    sla = catalogue.get("urgent_risk_review").sla
    assert (sla.first_meeting_days, sla.progress_reminder_months) == (10, 1)
    assert sla.imr_response_days == 5


@pytest.mark.parametrize("code", SHIPPED_CODES[1:])
def test_other_types_use_the_default_sla_profile(catalogue: Catalogue, code: str) -> None:
    sla = catalogue.get(code).sla
    assert (sla.first_meeting_days, sla.progress_reminder_months) == (20, 3)
    assert (sla.imr_response_days, sla.draft_report_days, sla.action_plan_days) == (5, 15, 20)


# -- lookup ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wanted",
    [
        "urgent_risk_review",
        "URGENT_RISK_REVIEW",
        "Urgent Risk Review",
        "urgent risk review",
        "Urgent Concern Review",
        "  urgent CONCERN review ",
    ],
)
def test_lookup_by_code_name_or_alias_ignores_case(catalogue: Catalogue, wanted: str) -> None:
    assert catalogue.get(wanted).code == "urgent_risk_review"


def test_unknown_type_is_refused_naming_the_field_and_listing_known_codes(
    catalogue: Catalogue,
) -> None:
    with pytest.raises(ProblemError) as caught:
        catalogue.get("Desk Review")

    assert caught.value.problems == [
        Problem(
            field="type",
            rule="unknown intervention type 'Desk Review'; known: " + ", ".join(SHIPPED_CODES),
        )
    ]


# -- a deployment's override -------------------------------------------------------------------


def test_override_renames_a_type(override_file: Override) -> None:
    catalogue = load_catalogue(
        override_file('[types.specialty_expert_review]\nname = "Thematic Review"\n')
    )

    assert catalogue.get("thematic review").code == "specialty_expert_review"
    assert catalogue.get("specialty_expert_review").name == "Thematic Review"
    with pytest.raises(ProblemError):
        catalogue.get("Specialty / Expert Review")


def test_override_adds_a_type_with_a_named_sla_profile(override_file: Override) -> None:
    catalogue = load_catalogue(override_file(NEW_TYPE))

    added = catalogue.get("Follow-up Visit")

    assert added.code == "follow_up_visit"
    assert added.required_roles == (R.SENIOR_PANEL_MEMBER,)
    assert added.sla.first_meeting_days == 10
    assert added.closure_approver_roles == (ApproverRole.QUALITY_LEAD,)
    assert [t.code for t in catalogue.active()] == [*SHIPPED_CODES, "follow_up_visit"]


def test_override_merges_an_inline_sla_over_the_default(override_file: Override) -> None:
    catalogue = load_catalogue(
        override_file("[types.programme_review]\nsla = { action_plan_days = 30 }\n")
    )

    sla = catalogue.get("programme_review").sla
    assert (sla.action_plan_days, sla.first_meeting_days) == (30, 20)


def test_override_retires_a_type(override_file: Override) -> None:
    catalogue = load_catalogue(override_file("[types.sharing_good_practice]\nretired = true\n"))

    assert "sharing_good_practice" not in [t.code for t in catalogue.active()]
    assert catalogue.types["sharing_good_practice"].retired
    with pytest.raises(ProblemError) as caught:
        catalogue.get("sharing_good_practice")
    assert caught.value.problems[0].rule.endswith("; known: " + ", ".join(SHIPPED_CODES[:-1]))


def test_override_leaves_the_shipped_catalogue_alone(override_file: Override) -> None:
    load_catalogue(override_file("[types.sharing_good_practice]\nretired = true\n"))
    assert load_catalogue().get("sharing_good_practice").retired is False


def test_override_with_a_negative_deadline_is_refused_naming_the_field(
    override_file: Override,
) -> None:
    with pytest.raises(ProblemError) as caught:
        load_catalogue(override_file("[sla.urgent]\nfirst_meeting_days = -1\n"))

    assert [p.field for p in _problems(caught)] == [
        "types.urgent_risk_review.sla.first_meeting_days"
    ]


def test_override_with_an_unknown_panel_role_is_refused_naming_the_field(
    override_file: Override,
) -> None:
    with pytest.raises(ProblemError) as caught:
        load_catalogue(
            override_file('[types.programme_review]\nrequired_roles = ["chief_wizard"]\n')
        )

    assert [p.field for p in _problems(caught)] == ["types.programme_review.required_roles.0"]


def test_override_with_an_unknown_sla_profile_is_refused_naming_the_field(
    override_file: Override,
) -> None:
    with pytest.raises(ProblemError) as caught:
        load_catalogue(override_file('[types.programme_review]\nsla = "express"\n'))

    assert _problems(caught) == [
        Problem(field="types.programme_review.sla", rule="no SLA profile named 'express'")
    ]


def test_override_with_bands_out_of_order_is_refused(override_file: Override) -> None:
    with pytest.raises(ProblemError) as caught:
        load_catalogue(override_file("[risk_bands]\nhigh_from = 20\n"))

    assert [p.field for p in _problems(caught)] == ["risk_bands"]


def test_missing_override_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ProblemError) as caught:
        load_catalogue(missing)

    assert _problems(caught) == [Problem(field="QI_CATALOGUE", rule=f"file not found: {missing}")]


def test_override_that_is_not_toml_is_a_clear_error(override_file: Override) -> None:
    with pytest.raises(ProblemError) as caught:
        load_catalogue(override_file("[types.programme_review\nname = 'x'\n"))

    [problem] = _problems(caught)
    assert problem.field == "QI_CATALOGUE"
    assert problem.rule.startswith("not valid TOML")


# -- risk bands --------------------------------------------------------------------------------

BANDS = {
    **dict.fromkeys(range(1, 4), RiskBand.LOW),
    **dict.fromkeys(range(4, 7), RiskBand.MODERATE),
    **dict.fromkeys(range(8, 13), RiskBand.HIGH),
    **dict.fromkeys(range(15, 26), RiskBand.EXTREME),
}


@pytest.mark.parametrize(("score", "band"), sorted(BANDS.items()))
def test_risk_band_of_each_score(catalogue: Catalogue, score: int, band: RiskBand) -> None:
    assert catalogue.risk_bands.band(score) is band


def test_every_likelihood_impact_product_falls_in_a_listed_band() -> None:
    products = {likelihood * impact for likelihood in range(1, 6) for impact in range(1, 6)}
    assert products <= BANDS.keys()


def test_default_risk_bands_are_the_shipped_ones(catalogue: Catalogue) -> None:
    assert catalogue.risk_bands == RiskBands()
