"""A planned schedule (`models.preview`) as a coordinator reads it before starting: one row per
deadline, with the reminders before it and the escalations if it is missed. Every planned item
is shown once; one that belongs to no deadline of the plan is listed after them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from models.preview import PlannedItem

__all__ = ["PlannedDeadline", "by_deadline"]


@dataclass
class PlannedDeadline:
    about: str  # "convene panel"
    on: date
    owner: str | None
    reminders: list[PlannedItem] = field(default_factory=list)
    escalations: list[PlannedItem] = field(default_factory=list)

    def names(self, item: PlannedItem) -> bool:
        """Whether `item` is a notice of this deadline (its text says "<about> due <date>")."""
        return f"{self.about} due {self.on.isoformat()}" in item.about


def by_deadline(items: list[PlannedItem]) -> tuple[list[PlannedDeadline], list[PlannedItem]]:
    """The deadlines in date order with their notices; and any item that is of none."""
    deadlines = [PlannedDeadline(item.about, item.on, item.to)
                 for item in items if item.what == "deadline"]
    others: list[PlannedItem] = []
    for item in items:
        if item.what == "deadline":
            continue
        owner = next((d for d in deadlines if d.names(item)), None)
        if owner is not None and item.what == "reminder":
            owner.reminders.append(item)
        elif owner is not None and item.what == "escalation if missed":
            owner.escalations.append(item)
        else:
            others.append(item)
    return deadlines, others
