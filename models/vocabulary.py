"""Closed vocabularies of the domain: roles, formats, finding classes and statuses."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

__all__ = [
    "CODE_LENGTH",
    "EMAIL_LENGTH",
    "PERSON_LENGTH",
    "SHORT_LENGTH",
    "ActionStatus",
    "ActorId",
    "ApproverRole",
    "Code",
    "ConcernSource",
    "ConflictStatus",
    "Email",
    "EscalationLevel",
    "FindingCategory",
    "LongText",
    "MeetingFormat",
    "PanelRole",
    "PersonName",
    "Reach",
    "Role",
    "ShortText",
]

# Lengths the read model's columns share with the values they hold.
CODE_LENGTH = 40  # codes and item IDs (F1, A1, M1)
SHORT_LENGTH = 200
PERSON_LENGTH = 120  # names and login IDs
EMAIL_LENGTH = 254

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_LENGTH)
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PERSON_LENGTH)
]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
]
ActorId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,119}$")
]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=EMAIL_LENGTH, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


class PanelRole(StrEnum):
    SENIOR_PANEL_MEMBER = "senior_panel_member"
    SUBJECT_EXPERT = "subject_expert"
    EXTERNAL_MEMBER = "external_member"
    LAY_REPRESENTATIVE = "lay_representative"
    LEARNER_REPRESENTATIVE = "learner_representative"
    CLINICAL_FACULTY = "clinical_faculty"
    SENIOR_QUALITY_LEAD = "senior_quality_lead"
    PROVIDER_EXECUTIVE = "provider_executive"
    NOTE_TAKER = "note_taker"


class ConflictStatus(StrEnum):
    NONE = "none"
    MANAGED = "managed"  # declared and mitigated, e.g. programme faculty on a programme review
    CONFLICTED = "conflicted"


class MeetingFormat(StrEnum):
    FACE_TO_FACE = "face_to_face"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"


class FindingCategory(StrEnum):
    GOOD_PRACTICE = "good_practice"
    CONCERN = "concern"
    IMMEDIATE_MANDATORY_REQUIREMENT = "immediate_mandatory_requirement"
    MANDATORY_REQUIREMENT = "mandatory_requirement"
    RECOMMENDATION = "recommendation"

    @property
    def is_requirement(self) -> bool:
        return self in (
            FindingCategory.IMMEDIATE_MANDATORY_REQUIREMENT,
            FindingCategory.MANDATORY_REQUIREMENT,
        )


class ActionStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    TRANSFERRED = "transferred"


class ApproverRole(StrEnum):
    COORDINATOR = "coordinator"
    QUALITY_LEAD = "quality_lead"
    DEAN = "dean"
    DEAN_DELEGATE = "dean_delegate"


class EscalationLevel(StrEnum):
    PROVIDER_EXECUTIVE = "provider_executive"
    QUALITY_LEAD = "quality_lead"
    DEAN = "dean"
    REGULATOR = "regulator"


class ConcernSource(StrEnum):
    NATIONAL_TRAINING_SURVEY = "national_training_survey"
    NATIONAL_EDUCATION_TRAINING_SURVEY = "national_education_training_survey"
    LEARNER_REPORT = "learner_report"
    SUPERVISOR_REPORT = "supervisor_report"
    PROVIDER_SELF_ASSESSMENT = "provider_self_assessment"
    OTHER = "other"


class Role(StrEnum):
    """What a user of the service is; decides what they may do (see `models.access`)."""

    coordinator = "coordinator"
    panel_member = "panel_member"
    provider_lead = "provider_lead"
    dean = "dean"
    viewer = "viewer"


class Reach(StrEnum):
    """Which interventions an allowed operation applies to."""

    all = "all"
    own_provider = "own_provider"  # only those of the user's provider; others look unknown
