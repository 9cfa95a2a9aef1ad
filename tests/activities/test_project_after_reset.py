"""`project_changes` after a reset outside the service: an entry under a number the read model
holds for another step is refused (retryably) with nothing written; a step replayed at another
instant is the same step; a projection that replaces gives every child row there is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.recording import RecordingActivities
from core.read_model import audit_trail, get_intervention
from models.errors import ErrorType
from models.intervention import InterventionData, Meeting, State
from models.projection import changes_since
from models.vocabulary import MeetingFormat
from tests.snapshots import TODAY, snapshot

ID = "intervention-project-after-reset"


def _project(engine: Engine, data: InterventionData, *, replace: bool = False) -> None:
    changes = changes_since(None, data, TODAY, f"{ID}:project:{data.last_seq}", [],
                            replace=replace)
    ActivityEnvironment().run(RecordingActivities(engine).project_changes, changes)


def _meeting(meeting_id: str) -> Meeting:
    return Meeting(id=meeting_id, format=MeetingFormat.VIRTUAL, scheduled_on=date(2026, 4, 1))


def test_an_entry_whose_number_holds_another_step_is_refused_and_nothing_is_written(
    engine: Engine,
) -> None:
    _project(engine, snapshot(ID, entries=3))
    before = audit_trail(engine, ID)
    # A reset took the workflow back to its start; its next step is another one, numbered 2.
    rewritten = snapshot(ID, entries=1)
    step = rewritten.audit[0].model_copy(update={
        "seq": 2, "command": "escalate", "summary": "escalate: planned -> planned"})
    rewritten = rewritten.model_copy(update={"audit": [*rewritten.audit, step]})

    with pytest.raises(ApplicationError) as refused:
        _project(engine, rewritten)

    assert refused.value.type == ErrorType.UNAVAILABLE
    assert not refused.value.non_retryable  # waits until the reset is noticed
    assert "under numbers 2" in refused.value.message
    assert audit_trail(engine, ID) == before
    row = get_intervention(engine, ID)
    assert row is not None
    assert (row.state, row.version) == (State.meetings_held, 3)


def test_a_step_replayed_at_another_instant_is_the_same_step(engine: Engine) -> None:
    _project(engine, snapshot(ID, entries=2))
    replayed = snapshot(ID, entries=3)
    replayed = replayed.model_copy(update={"audit": [
        e.model_copy(update={"at": e.at + timedelta(hours=1)}) for e in replayed.audit]})

    _project(engine, replayed)

    audit = audit_trail(engine, ID)
    assert [e.command for e in audit] == ["start", "convene_panel", "record_meeting"]
    assert audit[0].at == snapshot(ID, entries=1).audit[0].at  # the first record is kept


def test_a_replacing_projection_drops_the_rows_a_reset_discarded(engine: Engine) -> None:
    _project(engine, snapshot(ID, entries=2, meetings=[_meeting("M1"), _meeting("M2")]))
    back = snapshot(ID, entries=3, meetings=[_meeting("M1")])

    _project(engine, back, replace=True)

    row = get_intervention(engine, ID)
    assert row is not None
    assert [m.id for m in row.meetings] == ["M1"]


def test_a_projection_that_does_not_replace_keeps_rows_it_does_not_mention(
    engine: Engine,
) -> None:
    _project(engine, snapshot(ID, entries=2, meetings=[_meeting("M1"), _meeting("M2")]))

    _project(engine, snapshot(ID, entries=3, meetings=[_meeting("M1")]))

    row = get_intervention(engine, ID)
    assert row is not None
    assert [m.id for m in row.meetings] == ["M1", "M2"]
