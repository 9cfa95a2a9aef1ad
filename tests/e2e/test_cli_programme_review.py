"""A Programme Review driven to closed with `qi` as its help describes it: dates typed as people
type them, several roles in one member, the chair the type's help names, closure approved by
the quality lead. Every command is accepted at the first try: nothing is refused for syntax."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import Qi, StartStack
from tests.scenario import COORDINATOR, today

QUALITY_LEAD = "q.lead"


def test_programme_review_driven_to_closed_from_the_help_alone(
    qi: Qi, qi_up: StartStack
) -> None:
    qi_up()
    coordinator = qi.signed_in(COORDINATOR, email="c.okafor@quality.example.nhs.uk")
    lead = qi.signed_in(QUALITY_LEAD, email="q.lead@quality.example.nhs.uk")
    help_text = qi.ok("types", "programme_review").stdout
    assert "who may chair: clinical_faculty" in help_text
    assert "quality_lead" in help_text

    started = coordinator.json(
        "start", "--type", "programme_review",
        "--provider-code", "RYY02", "--provider-name", "Westshire Teaching Hospitals",
        "--provider-site", "Foundation programme, whole region",
        "--provider-lead-name", "Dr Priya Shah",
        "--provider-lead-email", "dme@westshire.example.nhs.uk",
        "--concern-likelihood", "3", "--concern-impact", "4",
        "--concern-source", "national_training_survey",
        "--concern-summary", "Rota gaps across the foundation programme",
        "--coordinator-email", "c.okafor@quality.example.nhs.uk",
    )
    intervention_id = started["data"]["intervention_id"]
    due = (today() + timedelta(days=90)).strftime("%d/%m/%Y")  # UK day-first, as typed

    steps: list[tuple[Qi, str, tuple[str, ...], str]] = [
        (coordinator, "convene-panel", (
            "--chair", "Prof Dee Faculty",
            "--members", "name=Prof Dee Faculty; email=dee@panel.example.nhs.uk; "
                         "roles=clinical_faculty,senior_panel_member; interests_declared=yes",
            "--members", "name=Ms Eve Lay; email=eve@panel.example.nhs.uk; "
                         "roles=lay_representative; interests_declared=yes",
        ), "panel_convened"),
        (coordinator, "record-meeting", (
            "--held-on", "today", "--format", "virtual",
            "--attendance-learners", "20", "--attendance-supervisors", "5",
        ), "meetings_held"),
        (coordinator, "issue-report", (
            "--final", "--factual-accuracy-closed-on", "today",
            "--findings", "category=mandatory_requirement; text=Rota gaps on two sites",
            "--findings", "category=recommendation; text=Share the induction pack",
        ), "report_issued"),
        (coordinator, "add-action", (
            "--finding-id", "F1",
            "--description", "Fill rota gaps with named supervisors",
            "--owner-name", "Dr Priya Shah", "--owner-email", "dme@westshire.example.nhs.uk",
            "--due-on", due,
        ), "report_issued"),
        (coordinator, "agree_action_plan", (), "actions_tracked"),
        (lead, "accept-action", (
            "--action-id", "A1", "--evidence", "Rotas for May published",
        ), "actions_tracked"),
        (lead, "approve-closure", (), "actions_tracked"),  # as quality lead: their account's
        (coordinator, "close", (), "closed"),
    ]
    reached = [(name, who.json(name, intervention_id, *options)["state"])
               for who, name, options, _ in steps]
    assert reached == [(name, state) for _, name, _, state in steps]
    assert coordinator.json("show", intervention_id)["data"]["state"] == "closed"
