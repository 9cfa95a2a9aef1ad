"""The targets the project set itself, each checked against what was measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["OPEN_TARGET", "Target", "ratio", "targets"]

OPEN_TARGET = 10_000
_GB = 1_000_000_000
_HISTORY_EVENTS, _HISTORY_BYTES = 120, 40_000


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    limit: float
    at_most: bool  # the value must be at most the limit (else at least)

    def as_json(self) -> dict[str, Any]:
        met = self.value <= self.limit if self.at_most else self.value >= self.limit
        return {"name": self.name, "value": self.value,
                "limit": self.limit, "at_most": self.at_most, "met": met}


def ratio(project: float, bare: float) -> float:
    return round(project / bare, 3)


def targets(result: dict[str, Any], rss_at_target: int) -> list[dict[str, Any]]:
    commands, history = result["commands"], result["history"]["project"]
    open_ = result["open_workflows"]
    return [t.as_json() for t in [
        Target("command p50 one at a time / bare update",
               commands["one_at_a_time"]["ratio_p50"], 1.5, at_most=True),
        Target("command p50 20 at once / bare update",
               commands["twenty_at_once"]["ratio_p50"], 1.5, at_most=True),
        Target("start p50 / bare update-with-start", result["start"]["ratio_p50"], 1.5,
               at_most=True),
        Target("lifecycles per minute / bare", result["lifecycles_per_minute"]["ratio"], 0.5,
               at_most=False),
        Target("urgent review history events", history["events"], _HISTORY_EVENTS, at_most=True),
        Target("urgent review history bytes", history["bytes"], _HISTORY_BYTES, at_most=True),
        Target(f"RSS bytes holding {OPEN_TARGET} open interventions", rss_at_target, _GB,
               at_most=True),
        Target(f"start rate for {open_['n']} / bare", open_["ratio_start_rate"], 0.5,
               at_most=False),
    ]]
