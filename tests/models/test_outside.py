"""The words and numbers of changes made in Temporal outside the service (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.intervention import AuditEntry, Ended, State
from models.outside import (
    OUTSIDE_ACTOR,
    RESET,
    HowEnded,
    OutsideEnding,
    ResetNote,
    rebase,
    step,
)

AT = datetime(2027, 3, 4, 10, 15, tzinfo=UTC)


def _entry(seq: int, command: str, to_state: State = State.planned) -> AuditEntry:
    return AuditEntry(seq=seq, at=AT - timedelta(days=10 - seq), actor="c.okafor",
                      command=command, from_state=State.planned, to_state=to_state,
                      summary=f"{command}: planned -> {to_state}")


def _note(kept: int, recorded_through: int, from_state: State | Ended = State.panel_convened,
          ) -> ResetNote:
    return ResetNote(at=AT, kept=kept, recorded_through=recorded_through, from_state=from_state,
                     reason="operator text")


def test_a_reset_that_kept_everything_recorded_is_noted_as_the_next_entry() -> None:
    audit = [_entry(1, "start"), _entry(2, "escalate"), _entry(3, "pause_clock")]

    rebased = rebase(audit, _note(kept=2, recorded_through=2), State.planned)

    assert [(e.seq, e.command) for e in rebased.audit] == [
        (1, "start"), (2, "escalate"), (3, "pause_clock"), (4, RESET)]
    assert rebased.renumbered == {}
    assert "no longer holds" not in rebased.entry.summary


def test_after_a_reset_that_discarded_steps_the_new_ones_follow_the_note() -> None:
    # The read model holds 1-3; the workflow went back to 1 and has done one new step since.
    audit = [_entry(1, "start"), _entry(2, "pause_clock")]

    rebased = rebase(audit, _note(kept=1, recorded_through=3), State.planned)

    assert [(e.seq, e.command) for e in rebased.audit] == [(1, "start"), (4, RESET),
                                                            (5, "pause_clock")]
    assert rebased.renumbered == {2: 5}
    note = rebased.entry
    assert (note.actor, note.at, note.from_state, note.to_state, note.reason) == (
        OUTSIDE_ACTOR, AT, State.panel_convened, State.planned, "operator text")
    assert note.summary == (
        "reset outside the service (in Temporal) on 2027-03-04 at 10:15 UTC: its workflow went "
        "back to an earlier point, and what followed it (entries 2-3 above) no longer holds; it "
        "carries on planned; who did it is not known to the service")


def test_a_reset_that_brings_an_ended_intervention_back_says_so() -> None:
    rebased = rebase([_entry(1, "start")], _note(1, 2, from_state=Ended.outside), State.planned)

    assert rebased.entry.seq == 3
    assert "its workflow, which had ended, runs again from an earlier point, and what followed "\
        "it (entry 2 above) no longer holds" in rebased.entry.summary


def test_the_same_step_is_the_same_whenever_it_was_written() -> None:
    first = _entry(2, "escalate")
    replayed = first.model_copy(update={"at": AT + timedelta(hours=1)})
    other = first.model_copy(update={"command": "pause_clock"})

    assert step(first) == step(replayed)
    assert step(first) != step(other)


@pytest.mark.parametrize(("how", "words"), [
    (HowEnded.terminated, "terminated outside the service"),
    (HowEnded.cancelled, "cancelled outside the service (a cancellation in Temporal)"),
    (HowEnded.timed_out, "timed out in Temporal, outside the service"),
    (HowEnded.failed, "failed in Temporal, outside the service's lifecycle"),
])
def test_an_ending_says_how_when_and_that_who_is_not_known(how: HowEnded, words: str) -> None:
    ending = OutsideEnding(how=how, at=AT, last_state=State.panel_convened)

    entry = ending.audit_entry(7, "  typed by an operator  ")

    assert ending.summary == (f"{words} on 2027-03-04 at 10:15 UTC, while panel_convened; who did "
                              "it is not known to the service")
    assert ending.refusal("close") == (f"close is not allowed: this intervention was {words} on "
                                       "2027-03-04 at 10:15 UTC; it can no longer take commands")
    assert (entry.seq, entry.actor, entry.command, entry.from_state, entry.to_state) == (
        7, OUTSIDE_ACTOR, how.value, State.panel_convened, Ended.outside)
    assert entry.reason == "typed by an operator"


def test_an_ending_at_another_offset_is_said_in_utc() -> None:
    ending = OutsideEnding(how=HowEnded.terminated, at=datetime.fromisoformat(
        "2027-03-04T11:15:00+01:00"), last_state=State.planned)

    assert "on 2027-03-04 at 10:15 UTC" in ending.summary
