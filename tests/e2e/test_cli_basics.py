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
