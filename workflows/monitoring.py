"""What the Temporal Web UI shows of an intervention: search attributes, summary, details.

Only codes, states, dates and counts: nothing here may identify a learner.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from models.intervention import InterventionData
from models.schedule import Notice

__all__ = [
    "ALL_KEYS",
    "ESCALATED",
    "INTERVENTION_REFERENCE",
    "INTERVENTION_STATE",
    "INTERVENTION_TYPE",
    "NEXT_DEADLINE",
    "OPEN_ACTIONS",
    "OVERDUE_ACTIONS",
    "PROVIDER_CODE",
    "RISK_BAND",
    "current_details",
    "initial_search_attributes",
    "search_attribute_updates",
    "static_details",
    "static_summary",
]

INTERVENTION_TYPE = SearchAttributeKey.for_keyword("InterventionType")
# Set once, at the start, by the client facade: it never changes, so the workflow never upserts
# it (and interventions started before references issue no new command).
INTERVENTION_REFERENCE = SearchAttributeKey.for_keyword("InterventionReference")
INTERVENTION_STATE = SearchAttributeKey.for_keyword("InterventionState")
PROVIDER_CODE = SearchAttributeKey.for_keyword("ProviderCode")
RISK_BAND = SearchAttributeKey.for_keyword("RiskBand")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
OPEN_ACTIONS = SearchAttributeKey.for_int("OpenActions")
OVERDUE_ACTIONS = SearchAttributeKey.for_int("OverdueActions")
ESCALATED = SearchAttributeKey.for_bool("Escalated")
# Audit entries not yet in the read model; set only while recording is held up (an outage).
READ_MODEL_BEHIND = SearchAttributeKey.for_int("ReadModelBehind")

ALL_KEYS: tuple[SearchAttributeKey, ...] = (  # type: ignore[type-arg]
    INTERVENTION_TYPE,
    INTERVENTION_STATE,
    PROVIDER_CODE,
    RISK_BAND,
    NEXT_DEADLINE,
    OPEN_ACTIONS,
    OVERDUE_ACTIONS,
    ESCALATED,
    READ_MODEL_BEHIND,
    INTERVENTION_REFERENCE,
)


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


def search_attribute_updates(data: InterventionData, today: date) -> list[SearchAttributeUpdate]:  # type: ignore[type-arg]
    deadline = _midnight(data.next_deadline())
    return [
        INTERVENTION_TYPE.value_set(data.type.code),
        INTERVENTION_STATE.value_set(data.state.value),
        PROVIDER_CODE.value_set(data.provider.code),
        RISK_BAND.value_set(data.risk_band.value),
        NEXT_DEADLINE.value_set(deadline) if deadline else NEXT_DEADLINE.value_unset(),
        OPEN_ACTIONS.value_set(len(data.open_actions())),
        OVERDUE_ACTIONS.value_set(len(data.overdue_actions(today))),
        ESCALATED.value_set(bool(data.escalations)),
    ]


def initial_search_attributes(data: InterventionData, today: date) -> TypedSearchAttributes:
    pairs = [
        SearchAttributePair(u.key, u.value)
        for u in search_attribute_updates(data, today)
        if u.value is not None
    ]
    if data.reference is not None:
        pairs.append(SearchAttributePair(INTERVENTION_REFERENCE, data.reference))
    return TypedSearchAttributes(pairs)


def static_summary(data: InterventionData) -> str:
    summary = f"{data.type.name}: {data.provider.code} {data.provider.site}"
    return f"{data.reference} {summary}" if data.reference else summary


def static_details(data: InterventionData) -> str:
    concern = data.concern
    return (
        f"**{data.type.name}** for {data.provider.name} ({data.provider.code}), "
        f"{data.provider.site}\n\n"
        f"Risk {concern.likelihood}x{concern.impact} = {concern.score} ({data.risk_band}); "
        f"coordinator {data.coordinator}"
    )


def _box(done: bool) -> str:
    return "[x]" if done else "[ ]"


def current_details(data: InterventionData, today: date, waiting_for: Notice | None) -> str:
    """A short markdown checklist of the lifecycle, shown on the workflow page."""
    held = [m for m in data.meetings if m.held_on]
    requirements = [f for f in data.findings if f.category and f.category.is_requirement]
    open_actions = data.open_actions()
    lines = [
        f"**State:** {data.state}",
        "",
        f"- {_box(data.chair is not None)} Panel convened ({len(data.panel)} members)",
        f"- {_box(bool(held))} Meetings held ({len(held)})",
        f"- {_box(data.report is not None)} Report issued ({len(data.findings)} findings, "
        f"{len(requirements)} requirements)",
        f"- {_box(bool(data.actions) and not open_actions)} Actions resolved "
        f"({len(data.actions) - len(open_actions)}/{len(data.actions)}, "
        f"{len(data.overdue_actions(today))} overdue)",
        f"- {_box(data.closure_approval is not None)} Closure approved",
    ]
    deadline = data.next_deadline()
    if deadline:
        lines.append(f"\nNext deadline: {deadline.isoformat()}")
    if data.paused_since:
        lines.append(f"\nClock paused since {data.paused_since.isoformat()}")
    elif waiting_for:
        lines.append(f"\nWaiting for: {waiting_for.summary}, on {waiting_for.on.isoformat()}")
    if data.escalations:
        lines.append(
            f"\nEscalated {len(data.escalations)}x, latest to {data.escalations[-1].level}"
        )
    return "\n".join(lines)
