"""The floor Temporal itself sets: a workflow with a little state and one validated update.

Started by update-with-start like an intervention; each update is checked by its validator
before anything is written, changes the state and replies. No activities, no timers.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bench.bare_payloads import BareChange, BareReply, BareStart

__all__ = ["BareWorkflow"]


@workflow.defn(name="BenchBare")
class BareWorkflow:
    @workflow.init
    def __init__(self, start: BareStart) -> None:
        self._label = start.label
        self._notes: list[str] = []
        self._closed = False

    @workflow.run
    async def run(self, start: BareStart) -> BareReply:
        await workflow.wait_condition(lambda: self._closed and workflow.all_handlers_finished())
        return self._reply()

    @workflow.update(name="change")
    def change(self, change: BareChange) -> BareReply:
        self._notes.append(change.note)
        self._closed = change.close
        return self._reply()

    @change.validator
    def _check_change(self, change: BareChange) -> None:
        if self._closed:
            raise ValueError("closed: takes no more changes")
        if not change.note.strip():
            raise ValueError("a change needs a note")

    def _reply(self) -> BareReply:
        return BareReply(steps=len(self._notes), closed=self._closed)
