"""What the intervention's page says once after a command was done there ("Panel convened"),
without it in the address: kept against the browser's session in the database
(`core.sessions.leave_notice`) and taken by the next page that asks (`pop_notice`).

A notice is the command and the intervention's reference, nothing a person typed; its words
are the pages' (`CONFIRMATIONS`). It belongs to the intervention it was left for: another
intervention's page, asking, takes it (so it is not shown late, out of place) and shows none.

An intervention's page shows it with the partial `notice.jinja` (the design system's success
banner), given `notice`:

    notice = await pop_notice(request, reference)
    ... {% include "notice.jinja" %}
"""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE
from api.context import get_context
from core import sessions
from models.commands import Event

__all__ = ["CONFIRMATIONS", "leave_notice", "pop_notice"]

# What was done, as a page confirms it: one for every command.
CONFIRMATIONS: dict[Event, str] = {
    Event.convene_panel: "Panel convened",
    Event.schedule_meeting: "Meeting booked",
    Event.reschedule_meeting: "Meeting moved",
    Event.record_meeting: "Meeting recorded as held",
    Event.issue_report: "Report issued",
    Event.add_action: "Action added",
    Event.agree_action_plan: "Action plan agreed",
    Event.record_action_progress: "Progress recorded",
    Event.accept_action: "Action accepted",
    Event.transfer_action: "Action transferred",
    Event.approve_closure: "Closure approved",
    Event.close: "Intervention closed",
    Event.cancel: "Intervention cancelled",
    Event.escalate: "Escalation recorded",
    Event.pause_clock: "Clock paused",
    Event.resume_clock: "Clock restarted",
}


async def leave_notice(request: Request, reference: str, event: Event) -> None:
    """Have the session's next intervention page confirm that `event` was done on
    `reference`."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(sessions.leave_notice, get_context(request).engine, session_id,
                            f"{reference} {event.value}")


async def pop_notice(request: Request, reference: str) -> str | None:
    """The confirmation left for this browser's session about the intervention `reference`
    (as its page is named: its reference, or its full ID when it has none), once; None if
    there is none."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    kept = await run_in_threadpool(sessions.take_notice, get_context(request).engine,
                                   session_id)
    about, _, done = (kept or "").partition(" ")
    event = next((e for e in CONFIRMATIONS if e.value == done), None)
    return CONFIRMATIONS[event] if event is not None and about == reference else None
