"""The catalogue as `qi types` prints it: plain text that fits the terminal (80 columns
too), codes never cut; no rich, so `qi types` answers at once."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from models.catalogue import InterventionType

__all__ = ["format_type", "format_types", "print_type", "print_types"]

_GAP = "  "


def format_types(kinds: Sequence[InterventionType], width: int) -> str:
    head = ("code", "name", "panel must include")
    code_w = max(len(head[0]), *(len(t.code) for t in kinds))
    role_w = max(len(head[2]), *(len(r) for t in kinds for r in t.required_roles))
    name_w = max(12, width - code_w - role_w - 2 * len(_GAP))
    lines = [_GAP.join((head[0].ljust(code_w), head[1].ljust(name_w), head[2])).rstrip(),
             "-" * min(width, code_w + name_w + role_w + 2 * len(_GAP))]
    for t in kinds:
        names = textwrap.wrap(t.name, name_w) or [""]
        roles: list[str] = [str(r) for r in t.required_roles] or ["-"]
        for i in range(max(len(names), len(roles))):
            cells = (t.code if i == 0 else "", names[i] if i < len(names) else "",
                     roles[i] if i < len(roles) else "")
            lines.append(_GAP.join((cells[0].ljust(code_w), cells[1].ljust(name_w),
                                    cells[2])).rstrip())
    lines.append("`qi types CODE`: who may chair, who approves closure, and the deadlines.")
    return "\n".join(lines)


def format_type(t: InterventionType, width: int) -> str:
    s = t.sla
    paragraphs = [
        f"{t.code}: {t.name}" + (f" (also: {', '.join(t.aliases)})" if t.aliases else ""),
        f"why: {t.why}",
        f"who: {t.who}",
        "panel must include: " + (", ".join(t.required_roles) or "no particular role"),
        "who may chair: " + (" or ".join(t.chair_roles) if t.chair_roles
                             else "any panel member without a conflict of interest"),
        "closure approved by: " + " or ".join(t.closure_approver_roles),
        f"deadlines (working days): convene panel {s.convene_panel_days}, first meeting "
        f"{s.first_meeting_days}, immediate mandatory requirements {s.imr_response_days}, "
        f"draft report {s.draft_report_days}, action plan {s.action_plan_days}; progress "
        f"reminders every {s.progress_reminder_months} month(s)",
    ]
    return "\n".join(textwrap.fill(p, width, subsequent_indent="  ") for p in paragraphs)


def _width() -> int:
    return shutil.get_terminal_size().columns


def print_types(kinds: Sequence[InterventionType]) -> None:
    click.echo(format_types(kinds, _width()))


def print_type(kind: InterventionType) -> None:
    click.echo(format_type(kind, _width()))
