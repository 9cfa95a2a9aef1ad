"""Changes made to an intervention outside the service, in Temporal itself (its Web UI, the
`temporal` CLI or its API), and the words the audit trail gives them (pure).

- Terminated, cancelled, timed out (or failed) in Temporal: the workflow has ended, and the
  intervention takes no more commands. The service records it in the read model when it notices
  (`Ended.outside`, with an audit entry saying how and when).
- A cancellation request: the workflow does not end, for only the `cancel` command (a person,
  a reason, before any meeting is held) cancels an intervention. It notes the request in its
  audit trail and carries on.
- A reset: Temporal runs the workflow again from an earlier point and discards what it did after
  it. The intervention carries on from there; the service tells the workflow (`ResetNote`), which
  notes it and numbers its entries after those the read model already holds, so the trail keeps
  the discarded steps and loses none of the new ones.

Temporal authenticates no person for any of these, so who did it is not known to the service.
A reason typed into Temporal may hold anything: it is kept only where the service keeps
confidential text (the audit's `reason`), never in logs or metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from models.intervention import AuditEntry, Ended, RecordedState, State
from models.sealing import Inbound

__all__ = [
    "CANCEL_REQUESTED",
    "OUTSIDE_ACTOR",
    "OUTSIDE_COMMANDS",
    "RESET",
    "HowEnded",
    "OutsideEnding",
    "Rebased",
    "ResetNote",
    "cancel_request_summary",
    "confidential_reason",
    "rebase",
    "step",
    "when",
]

# The actor of every entry about a change made outside the service.
OUTSIDE_ACTOR = "unknown"
CANCEL_REQUESTED = "cancel_requested"
RESET = "reset"
_UNKNOWN_WHO = "who did it is not known to the service"
_REASON_LENGTH = 4000  # models.vocabulary.LongText


class HowEnded(StrEnum):
    """How Temporal ended a workflow other than by its completing; the audit entry's command."""

    terminated = "terminated"
    cancelled = "cancelled_in_temporal"
    timed_out = "timed_out"
    failed = "failed_in_temporal"


OUTSIDE_COMMANDS = frozenset({CANCEL_REQUESTED, RESET, *HowEnded})

_ENDED_WORDS = {
    HowEnded.terminated: "terminated outside the service",
    HowEnded.cancelled: "cancelled outside the service (a cancellation in Temporal)",
    HowEnded.timed_out: "timed out in Temporal, outside the service",
    HowEnded.failed: "failed in Temporal, outside the service's lifecycle",
}


def when(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%d} at {at:%H:%M} UTC"


def confidential_reason(text: str | None) -> str | None:
    """A reason as Temporal recorded it, for the audit's `reason` only: typed by an operator,
    so it may hold anything (never log it or put it in a metric)."""
    text = (text or "").strip()
    return text[:_REASON_LENGTH] or None


class OutsideEnding(BaseModel):
    """How and when Temporal ended an intervention's workflow outside the service, and the
    lifecycle state it was last known in."""

    how: HowEnded
    at: datetime
    last_state: State
    summary: str = ""

    def model_post_init(self, _context: object) -> None:
        if not self.summary:
            self.summary = (f"{_ENDED_WORDS[self.how]} on {when(self.at)}, while "
                            f"{self.last_state}; {_UNKNOWN_WHO}")

    def refusal(self, command: str) -> str:
        return (f"{command} is not allowed: this intervention was {_ENDED_WORDS[self.how]} on "
                f"{when(self.at)}; it can no longer take commands")

    def audit_entry(self, seq: int, reason: str | None) -> AuditEntry:
        return AuditEntry(
            seq=seq, at=self.at, actor=OUTSIDE_ACTOR, command=self.how.value,
            from_state=self.last_state, to_state=Ended.outside,
            summary=f"{self.summary}; it takes no more commands",
            reason=confidential_reason(reason),
        )


def step(entry: AuditEntry) -> tuple[str | None, ...]:
    """What makes two audit entries the same step, whenever each was written: a reset that
    replays a command records it again at another instant. States as text, as stored."""
    return (entry.command, entry.actor, str(entry.from_state), str(entry.to_state),
            entry.summary, entry.reason)


def cancel_request_summary(state: State) -> str:
    return (f"a cancellation was requested outside the service (in Temporal) while {state}; "
            f"{_UNKNOWN_WHO}. The intervention carries on: only the cancel command, with a "
            "reason and before any meeting is held, cancels it")


class ResetNote(Inbound):
    """What the service tells a workflow Temporal has reset: when, and how its audit trail
    stands against the read model's."""

    at: datetime  # when Temporal reset it (its last reset time)
    kept: int = Field(ge=0)  # the read model's entries 1..kept are the workflow's own
    recorded_through: int = Field(ge=0)  # the newest entry number the read model holds
    from_state: RecordedState  # where the read model had the intervention
    reason: str | None = Field(default=None, max_length=_REASON_LENGTH)  # confidential

    def summary(self, state: State) -> str:
        again = "its workflow went back to an earlier point"
        if self.from_state is Ended.outside:
            again = "its workflow, which had ended, runs again from an earlier point"
        discarded = ""
        if self.kept < self.recorded_through:
            first, last = self.kept + 1, self.recorded_through
            entries = f"entry {first}" if first == last else f"entries {first}-{last}"
            discarded = f", and what followed it ({entries} above) no longer holds"
        return (f"reset outside the service (in Temporal) on {when(self.at)}: {again}"
                f"{discarded}; it carries on {state}; {_UNKNOWN_WHO}")


@dataclass(frozen=True)
class Rebased:
    audit: list[AuditEntry]
    entry: AuditEntry  # the note of the reset
    renumbered: dict[int, int]  # old entry number -> new, for entries the read model lacks


def rebase(audit: list[AuditEntry], note: ResetNote, state: State) -> Rebased:
    """The workflow's audit with the reset noted. When the read model holds entries the workflow
    no longer has (after `note.kept`), the note follows them and the workflow's own entries
    after `note.kept` (none of which reached the read model: their numbers were taken) follow
    the note, renumbered; otherwise the note is simply the next entry."""
    head = [e for e in audit if e.seq <= note.kept]
    tail = [e for e in audit if e.seq > note.kept]
    if note.kept < note.recorded_through:
        seq = note.recorded_through + 1
        renumbered = {e.seq: seq + i for i, e in enumerate(tail, start=1)}
    else:
        seq = max(note.recorded_through, *(e.seq for e in audit), 0) + 1
        head, tail, renumbered = audit, [], {}
    entry = AuditEntry(
        seq=seq, at=note.at, actor=OUTSIDE_ACTOR, command=RESET, from_state=note.from_state,
        to_state=state, summary=note.summary(state), reason=confidential_reason(note.reason),
    )
    moved = [e.model_copy(update={"seq": renumbered[e.seq]}) for e in tail]
    return Rebased(audit=[*head, entry, *moved], entry=entry, renumbered=renumbered)
