"""The planned schedule, as a coordinator reads it: deadlines, reminders and escalations.

For a running intervention it lists what its workflow is waiting for; before starting one, it
assumes each step is done on its deadline. Both come from the code the workflow uses.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from models.calendar import ENGLAND_AND_WALES
from models.catalogue import InterventionType
from models.deadlines import working_days_for
from models.intervention import DeadlineKind, InterventionData
from models.schedule import DEADLINE_OWNER, Notice, NoticeKind, notices_for_due

__all__ = ["PlannedItem", "preview_intervention", "preview_type"]

# (deadline, the deadline it counts from; None: the start). Final report counts from the
# first meeting, like the draft; the action plan from the final report.
_CHAIN: tuple[tuple[DeadlineKind, DeadlineKind | None], ...] = (
    (DeadlineKind.convene_panel, None),
    (DeadlineKind.first_meeting, DeadlineKind.convene_panel),
    (DeadlineKind.draft_report, DeadlineKind.first_meeting),
    (DeadlineKind.final_report, DeadlineKind.first_meeting),
    (DeadlineKind.action_plan, DeadlineKind.final_report),
)


class PlannedItem(BaseModel):
    on: date
    what: str
    about: str
    to: str | None = None


def _from_notice(notice: Notice) -> PlannedItem:
    what = "escalation if missed" if notice.kind is NoticeKind.escalation else notice.kind
    return PlannedItem(on=notice.on, what=what, about=notice.summary, to=notice.recipient)


def preview_type(kind: InterventionType, start: date) -> list[PlannedItem]:
    due: dict[DeadlineKind, date] = {}
    items: list[PlannedItem] = []
    for deadline, after in _CHAIN:
        anchor = due[after] if after else start
        days = working_days_for(kind.sla, deadline)
        due[deadline] = ENGLAND_AND_WALES.add_working_days(anchor, days)
        about = deadline.replace("_", " ")
        items.append(PlannedItem(on=due[deadline], what="deadline", about=about,
                                 to=DEADLINE_OWNER[deadline]))
        items += [
            _from_notice(n)
            for n in notices_for_due(kind.sla, f"deadline:{deadline}", about, due[deadline],
                                     DEADLINE_OWNER[deadline], anchor,
                                     ENGLAND_AND_WALES)
        ]
    return sorted(items, key=lambda i: i.on)


def preview_intervention(data: InterventionData, upcoming: list[Notice]) -> list[PlannedItem]:
    items = [
        PlannedItem(on=d.due_on, what="deadline", to=DEADLINE_OWNER[d.kind],
                    about=d.kind.replace("_", " ") + (f" for {d.subject}" if d.subject else ""))
        for d in data.open_deadlines
    ]
    items += [
        PlannedItem(on=a.due_on, what="deadline", about=f"action {a.id}", to="action_owner")
        for a in data.open_actions()
    ]
    items += [_from_notice(n) for n in upcoming]
    return sorted(items, key=lambda i: i.on)
