"""What `qi` answers without a server: the catalogue, the diagram and its own help."""

from __future__ import annotations

import re

from models.commands import Event
from models.lifecycle import mermaid_diagram
from tests.e2e.conftest import Qi

SIX_TYPES = [
    ("urgent_risk_review", "Urgent Risk Review"),
    ("programme_review", "Programme Review"),
    ("learner_educator_review", "Learner/Educator Review"),
    ("senior_leader_engagement", "Senior Leader Engagement"),
    ("specialty_expert_review", "Specialty / Expert Review"),
    ("sharing_good_practice", "Sharing Good Practice / Peer Review"),
]


def test_types_lists_the_six_shipped_types(qi: Qi) -> None:
    types = qi.json("types")
    assert [(t["code"], t["name"]) for t in types] == SIX_TYPES


def test_diagram_is_the_lifecycle_mermaid_source(qi: Qi) -> None:
    assert qi.ok("diagram").stdout == mermaid_diagram()


def test_help_lists_every_lifecycle_command_dashed(qi: Qi) -> None:
    listed = set(re.findall(r"^  ([a-z][a-z-]*)\s", qi.ok("--help").stdout, re.M))
    dashed = {event.value.replace("_", "-") for event in Event}
    assert dashed <= listed, f"missing from --help: {sorted(dashed - listed)}"
    assert {"up", "start", "show", "list", "audit", "types", "diagram"} <= listed


def test_preview_of_a_type_lists_its_deadlines(qi: Qi) -> None:
    items = qi.json("preview", "--type", "urgent_risk_review", "--start", "2030-12-02")
    deadlines = [(i["about"], i["on"]) for i in items if i["what"] == "deadline"]
    assert deadlines[:2] == [("convene panel", "2030-12-09"), ("first meeting", "2030-12-23")]


def test_preview_needs_an_intervention_or_a_type_and_date(qi: Qi) -> None:
    done = qi("preview", "--type", "urgent_risk_review")
    assert done.returncode == 2
    assert "give an intervention ID, or both --type and --start" in done.stderr


def test_list_with_an_unknown_state_names_the_option_and_the_states(qi: Qi) -> None:
    done = qi("list", "--state", "bogus")
    assert done.returncode == 2
    assert "Invalid value for '--state': 'bogus' is not one of 'planned'" in done.stderr
    assert "'cancelled'" in done.stderr


def test_the_state_choices_are_the_lifecycle_states() -> None:
    from cli.interventions import STATES
    from models.intervention import Ended, State

    assert (*State, *Ended) == STATES


def test_a_command_answers_to_either_spelling_and_help_teaches_its_format(qi: Qi) -> None:
    dashed = qi.ok("record-meeting", "--help").stdout

    assert qi.ok("record_meeting", "--help").stdout == dashed
    assert "YYYY-MM-DD, today, or DD/MM/YYYY" in " ".join(dashed.split())
    assert "Example:\n    qi record-meeting" in dashed


def test_types_of_one_type_says_who_may_chair(qi: Qi) -> None:
    shown = qi.ok("types", "programme_review").stdout

    assert "who may chair: clinical_faculty" in shown
