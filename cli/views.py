"""Human-readable tables for the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.status import InterventionStatus

__all__ = ["print_audit", "print_list", "print_plan", "print_status"]


def print_status(console: Console, status: InterventionStatus) -> None:
    # Names and free text are the user's: printed as written, never read as rich markup.
    d = status.data
    console.print(f"[bold]{d.intervention_id}[/]  {escape(d.type.name)}  [cyan]{d.state}[/]")
    risk = f"{d.concern.likelihood}x{d.concern.impact}={d.concern.score} ({d.risk_band})"
    console.print(f"provider {d.provider.code} {d.provider.name}, {d.provider.site}; "
                  f"risk {risk}; coordinator {d.coordinator}", highlight=False, markup=False)
    if d.panel:
        console.print(f"panel: chair {d.chair}; " + ", ".join(
            f"{m.name} ({'+'.join(m.roles)})" for m in d.panel), highlight=False, markup=False)
    if d.meetings:
        console.print("meetings: " + ", ".join(
            f"{m.id} {m.format} "
            + (f"held {m.held_on}" if m.held_on else f"booked {m.scheduled_on}")
            for m in d.meetings), highlight=False)
    if d.findings:
        console.print("findings: " + ", ".join(f"{f.id} {f.category or 'unclassified'}"
                                               for f in d.findings), highlight=False)
    if d.actions:
        grid = Table("action", "finding", "owner", "due", "status", title="Actions")
        for a in d.actions:
            grid.add_row(a.id, a.finding_id, escape(a.owner_name), a.due_on.isoformat(),
                         a.status)
        console.print(grid)
    if d.deadlines:
        grid = Table("deadline", "for", "due", "met", title="Deadlines")
        for dl in d.deadlines:
            grid.add_row(dl.kind, dl.subject or "-", dl.due_on.isoformat(),
                         dl.met_on.isoformat() if dl.met_on else "open")
        console.print(grid)
    for e in d.escalations:
        console.print(f"[yellow]escalated[/] to {e.level} by {e.by} on {e.at:%Y-%m-%d}: "
                      f"{escape(e.reason)}")
    if d.paused_since:
        reason = escape(d.pauses[-1].reason)
        console.print(f"[yellow]clock paused[/] since {d.paused_since}: {reason}")
    elif status.waiting_for:
        w = status.waiting_for
        console.print(f"waiting for: {escape(w.summary)}, on {w.on.isoformat()}")
    grid = Table("next command", "moves to", "needs", title="Allowed next")
    for step in status.next_steps:
        grid.add_row(step.command.value, step.moves_to or "(stays)",
                     escape("\n".join(step.blocked_by)) or "ready")
    console.print(grid)


def print_plan(console: Console, items: Sequence[Any]) -> None:
    grid = Table("on", "what", "to", "about", title="Planned schedule")
    for item in items:
        grid.add_row(item.on.isoformat(), item.what, item.to or "-", escape(item.about))
    console.print(grid)


def print_list(console: Console, rows: Sequence[Any]) -> None:
    grid = Table("id", "type", "provider", "state", "risk", "next deadline", "open", "overdue")
    for r in rows:
        grid.add_row(r.id, r.type_code, r.provider_code, r.state, r.risk_band,
                     r.next_deadline.isoformat() if r.next_deadline else "-",
                     str(r.open_actions), str(r.overdue_actions))
    console.print(grid)


def print_audit(console: Console, rows: Sequence[Any]) -> None:
    grid = Table("#", "when", "who", "what", "why")
    for r in rows:
        grid.add_row(str(r.seq), f"{r.at:%Y-%m-%d %H:%M}", r.actor, r.summary,
                     escape(r.reason or ""))
    console.print(grid)


def print_outbox(console: Console, rows: Sequence[Any]) -> None:
    grid = Table("key", "intervention", "to", "subject", "status", "attempts", "last error",
                 "age", title="Outbox: not delivered, oldest first")
    for row in rows:
        grid.add_row(
            escape(row.key), row.intervention_id, escape(", ".join(row.recipients)),
            escape(row.subject), row.status.value, str(row.attempts),
            escape(row.last_error or "-"), _age(row.age_seconds),
        )
    console.print(grid)


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
