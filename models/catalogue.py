"""The intervention-type catalogue: data a deployment can extend, rename and retire."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.errors import ErrorType, Problem, ProblemError
from models.vocabulary import ApproverRole, Code, LongText, PanelRole, ShortText

__all__ = [
    "Catalogue",
    "EscalationRung",
    "InterventionType",
    "Recipient",
    "RiskBand",
    "RiskBands",
    "SlaProfile",
    "build_catalogue",
    "load_catalogue",
]

from enum import StrEnum


class RiskBand(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    EXTREME = "extreme"


class RiskBands(BaseModel):
    """Thresholds on the 5x5 likelihood x impact score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    moderate_from: int = Field(4, ge=2, le=25)
    high_from: int = Field(8, ge=2, le=25)
    extreme_from: int = Field(15, ge=2, le=25)

    @model_validator(mode="after")
    def _ascending(self) -> RiskBands:
        if not self.moderate_from < self.high_from < self.extreme_from:
            raise ValueError("bands must ascend: moderate_from < high_from < extreme_from")
        return self

    def band(self, score: int) -> RiskBand:
        if score >= self.extreme_from:
            return RiskBand.EXTREME
        if score >= self.high_from:
            return RiskBand.HIGH
        if score >= self.moderate_from:
            return RiskBand.MODERATE
        return RiskBand.LOW


WorkingDays = Field(gt=0, le=260)


class Recipient(StrEnum):
    """Who a reminder or escalation goes to; `owner` is whoever owns the missed deadline."""

    owner = "owner"
    coordinator = "coordinator"
    provider_lead = "provider_lead"
    action_owner = "action_owner"
    panel = "panel"
    quality_lead = "quality_lead"
    dean = "dean"


class EscalationRung(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    to: Recipient
    after_days: int = Field(ge=0, le=260, description="Working days after the deadline")


class SlaProfile(BaseModel):
    """Deadlines in working days; reminders before them, escalations after a breach."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    convene_panel_days: int = WorkingDays
    first_meeting_days: int = WorkingDays
    imr_response_days: int = WorkingDays
    draft_report_days: int = WorkingDays
    factual_accuracy_days: int = WorkingDays
    final_report_days: int = WorkingDays
    action_plan_days: int = WorkingDays
    progress_reminder_months: int = Field(gt=0, le=24)
    reminder_offsets: tuple[int, ...] = Field(
        (3, 1), description="Working days before a deadline or meeting that reminders go out"
    )
    escalation_chain: tuple[EscalationRung, ...] = (
        EscalationRung(to=Recipient.owner, after_days=1),
        EscalationRung(to=Recipient.quality_lead, after_days=5),
        EscalationRung(to=Recipient.dean, after_days=10),
    )
    stall_days: int = Field(20, gt=0, le=260, description="Working days without a command "
                            "before the coordinator is nudged")

    @model_validator(mode="after")
    def _reminders_fit(self) -> SlaProfile:
        deadlines = {name: value for name, value in self if name.endswith("_days")
                     and name != "stall_days"}
        shortest = min(deadlines, key=lambda name: deadlines[name])
        for offset in self.reminder_offsets:
            if offset <= 0:
                raise ValueError(f"reminder_offsets: {offset} must be a positive number of "
                                 "working days")
            if offset >= deadlines[shortest]:
                raise ValueError(f"reminder_offsets: {offset} working days is not shorter than "
                                 f"{shortest} ({deadlines[shortest]})")
        days = [rung.after_days for rung in self.escalation_chain]
        if days != sorted(days):
            raise ValueError("escalation_chain: rungs must be in order of after_days")
        return self


class InterventionType(BaseModel):
    """One row of the catalogue, as copied into every intervention's workflow input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    name: ShortText
    aliases: tuple[ShortText, ...] = ()
    why: LongText
    what: LongText
    who: LongText
    outcome: LongText
    required_roles: tuple[PanelRole, ...] = ()
    chair_roles: tuple[PanelRole, ...] = ()
    closure_approver_roles: tuple[ApproverRole, ...] = (ApproverRole.QUALITY_LEAD,)
    sla: SlaProfile
    retired: bool = False


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)

    risk_bands: RiskBands
    types: dict[str, InterventionType]

    @model_validator(mode="after")
    def _names_unique(self) -> Catalogue:
        """A name or alias that two active types share would make `get` pick one silently."""
        seen: dict[str, str] = {}
        for t in self.active():
            for name in {t.code.casefold(), t.name.casefold(), *(a.casefold() for a in t.aliases)}:
                if name in seen and seen[name] != t.code:
                    raise ValueError(f"types: {seen[name]} and {t.code} both answer to {name!r}")
                seen[name] = t.code
        return self

    def active(self) -> list[InterventionType]:
        return [t for t in self.types.values() if not t.retired]

    def get(self, code: str) -> InterventionType:
        """The active type with this code or name (case-insensitive), or a clear error."""
        wanted = code.strip().casefold()
        for t in self.active():
            if wanted in {t.code.casefold(), t.name.casefold(), *(a.casefold() for a in t.aliases)}:
                return t
        known = ", ".join(t.code for t in self.active())
        raise ProblemError(
            [Problem(field="type", rule=f"unknown intervention type {code!r}; known: {known}")]
        )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProblemError(
            [Problem(field="QI_CATALOGUE", rule=f"file not found: {path}")],
            ErrorType.CATALOGUE_INVALID,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemError(
            [Problem(field="QI_CATALOGUE", rule=f"cannot read {path} ({type(exc).__name__})")],
            ErrorType.CATALOGUE_INVALID,
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProblemError(
            [Problem(field="QI_CATALOGUE", rule=f"not valid TOML ({exc})")],
            ErrorType.CATALOGUE_INVALID,
        ) from None


_TABLES = frozenset({"risk_bands", "sla", "types"})


def build_catalogue(raw: dict[str, Any]) -> Catalogue:
    """Validate a whole catalogue mapping (as read from TOML); problems name their field."""
    unknown = sorted(set(raw) - _TABLES)
    if unknown:
        raise ProblemError(
            [Problem(field=key, rule=f"unknown table; a catalogue has {', '.join(sorted(_TABLES))}")
             for key in unknown],
            ErrorType.CATALOGUE_INVALID,
        )
    profiles = raw.get("sla", {})
    default_profile = profiles.get("default", {})
    types: dict[str, Any] = {}
    for code, entry in raw.get("types", {}).items():
        entry = dict(entry)
        sla = entry.get("sla", "default")
        if isinstance(sla, str):
            if sla not in profiles:
                raise ProblemError(
                    [Problem(field=f"types.{code}.sla", rule=f"no SLA profile named {sla!r}")],
                    ErrorType.CATALOGUE_INVALID,
                )
            sla = profiles[sla]
        entry["sla"] = _merge(default_profile, sla)
        types[code] = {"code": code, **entry}
    try:
        return Catalogue.model_validate({"risk_bands": raw.get("risk_bands", {}), "types": types})
    except ValidationError as exc:
        problems = [
            Problem(field=".".join(str(p) for p in err["loc"]), rule=err["msg"])
            for err in exc.errors()
        ]
        raise ProblemError(problems, ErrorType.CATALOGUE_INVALID) from None


def load_catalogue(override: Path | None = None) -> Catalogue:
    """The shipped catalogue, with a deployment's override file merged over it."""
    shipped = resources.files("models").joinpath("catalogue.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(shipped)
    if override is not None:
        raw = _merge(raw, _read_toml(override))
    return build_catalogue(raw)
