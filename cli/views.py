"""Human-readable tables for the CLI; each fits an 80-column terminal and never cuts an ID or
a code (they wrap nothing: other columns give way)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.names import dashed, dashed_commands

# Each view prints the JSON the service answers (dates as ISO strings), as it is: no model of
# the domain is loaded to print it.
Json = dict[str, Any]

__all__ = ["print_audit", "print_list", "print_outbox", "print_plan", "print_status"]


def _table(*columns: str, title: str | None = None) -> Table:
    return Table(*columns, title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 title_justify="left", title_style="bold")


def _panel_and_meetings(console: Console, d: Json) -> None:
    if d["panel"]:
        console.print(f"panel: chair {d['chair']}; " + ", ".join(
            f"{m['name']} ({'+'.join(m['roles'])})" for m in d["panel"]), highlight=False,
            markup=False)
    if d["meetings"]:
        console.print("meetings: " + ", ".join(
            f"{m['id']} {m['format']} "
            + (f"held {m['held_on']}" if m["held_on"] else f"booked for {m['scheduled_on']}")
            for m in d["meetings"]), highlight=False, markup=False)


def _findings_and_actions(console: Console, d: Json) -> None:
    if d["findings"]:
        grid = _table("finding", "class", "text", title="Findings")
        grid.columns[0].no_wrap = True
        for f in d["findings"]:
            grid.add_row(f["id"], f["category"] or "unclassified", escape(f["text"]))
        console.print(grid)
    if d["actions"]:
        grid = _table("action", "for", "description", "owner", "due", "status", title="Actions")
        for column in (0, 1, 4):
            grid.columns[column].no_wrap = True
        for a in d["actions"]:
            grid.add_row(a["id"], a["finding_id"], escape(a["description"]),
                         escape(a["owner_name"]), a["due_on"], a["status"])
        console.print(grid)


def _risk(d: Json) -> str:
    from models.catalogue import RiskBands

    concern = d["concern"]
    score = concern["likelihood"] * concern["impact"]
    band = RiskBands.model_validate(d["risk_bands"]).band(score)
    return f"{concern['likelihood']}x{concern['impact']}={score} ({band})"


def print_status(console: Console, status: Json) -> None:
    # Names and free text are the user's: printed as written, never read as rich markup.
    d = status["data"]
    named = f"{d['reference']}  {d['intervention_id']}" if d["reference"] else d["intervention_id"]
    console.print(f"[bold]{named}[/]  {escape(d['type']['name'])}  [cyan]{d['state']}[/]",
                  soft_wrap=True)
    provider = d["provider"]
    console.print(f"provider {provider['code']} {provider['name']}, {provider['site']}; "
                  f"risk {_risk(d)}; coordinator {d['coordinator']}", highlight=False,
                  markup=False)
    ended = status.get("ended_outside")
    if ended:
        console.print(f"[red]ended:[/] {escape(ended['summary'])}", soft_wrap=True)
    _panel_and_meetings(console, d)
    _findings_and_actions(console, d)
    if d["deadlines"]:
        grid = _table("deadline", "for", "due", "met", title="Deadlines")
        for dl in d["deadlines"]:
            grid.add_row(dl["kind"], dl["subject"] or "-", dl["due_on"], dl["met_on"] or "open")
        console.print(grid)
    for e in d["escalations"]:
        console.print(f"[yellow]escalated[/] to {e['level']} by {e['by']} on {e['at'][:10]}: "
                      f"{escape(e['reason'])}")
    pauses = d["pauses"]
    if pauses and pauses[-1]["until"] is None:
        console.print(f"[yellow]clock paused[/] since {pauses[-1]['since']}: "
                      f"{escape(pauses[-1]['reason'])}")
    elif status["upcoming"]:  # the first is what the intervention waits for
        w = status["upcoming"][0]
        console.print(f"waiting for: {escape(w['summary'])}, on {w['on']}")
    grid = _table("next command", "moves to", "ready now?", title="Allowed next")
    grid.columns[0].no_wrap = True
    for step in status["next_steps"]:
        grid.add_row(dashed(step["command"]), step["moves_to"] or "(stays)", _readiness(step))
    console.print(grid)


def _readiness(step: Json) -> str:
    if step["blocked_by"]:
        return escape(dashed_commands("refused now: " + "; ".join(step["blocked_by"])))
    if step["needs"]:
        return escape(dashed_commands("ready; the command must bring: " + "; ".join(step["needs"])))
    return "ready"


def print_plan(console: Console, items: Sequence[Json]) -> None:
    grid = _table("on", "what", "to", "about", title="Planned schedule")
    grid.columns[0].no_wrap = True
    for item in items:
        grid.add_row(item["on"], item["what"], item["to"] or "-", escape(item["about"]))
    console.print(grid)


def print_list(console: Console, rows: Sequence[Json], total: int, offset: int) -> None:
    # The reference leads; the ID (49 characters) is whole on its line beneath it, with the
    # rest of the row.
    grid = _table("intervention", "state", "due next")
    grid.columns[0].no_wrap = True
    for r in rows:
        detail = (f"  {r['type_code']}, {r['provider_code']}, risk {r['risk_band']}\n"
                  f"  actions: {r['open_actions']} open, {r['overdue_actions']} overdue")
        named = f"{r['reference']}\n{r['id']}" if r["reference"] else r["id"]
        grid.add_row(f"{named}\n{escape(detail)}", r["state"], r["next_deadline"] or "-")
    console.print(grid)
    if offset + len(rows) < total:
        console.print(f"{offset + 1}-{offset + len(rows)} of {total}; the next page: "
                      f"--offset {offset + len(rows)}", highlight=False)


def print_audit(console: Console, rows: Sequence[Json]) -> None:
    grid = _table("#", "when", "who", "what", "why")
    grid.columns[1].no_wrap = True
    for r in rows:
        grid.add_row(str(r["seq"]), r["at"][:16].replace("T", " "), r["actor"], r["summary"],
                     escape(r["reason"] or ""))
    console.print(grid)


def print_outbox(console: Console, rows: Sequence[Json]) -> None:
    grid = Table("key", "intervention", "to", "subject", "status", "attempts", "last error",
                 "age", title="Outbox: not delivered, oldest first")
    for row in rows:
        grid.add_row(
            escape(row["key"]), row["intervention_id"], escape(", ".join(row["recipients"])),
            escape(row["subject"]), row["status"], str(row["attempts"]),
            escape(row["last_error"] or "-"), _age(row["age_seconds"]),
        )
    console.print(grid)


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
