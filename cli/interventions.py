"""`qi` commands that read interventions and show the catalogue.

`qi show`, `qi preview ID`, `qi list` and `qi audit` ask the service, as the signed-in user
(who sees what their role reaches, e.g. a provider lead their own provider's); `qi types`,
`qi diagram` and a type's preview need neither. Heavy modules are imported inside the commands
that use them.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import click

from cli.environment import catalogue
from cli.exit_codes import EXIT_INVALID
from cli.output import emit, fail, out

__all__ = ["STATES", "audit", "diagram", "list_", "preview", "show", "types"]

# The lifecycle's states, and how an intervention ended in Temporal outside the service, spelled
# out so `qi list --help` loads no model (a test keeps them the same as
# `models.intervention.RecordedState`).
STATES = ("planned", "panel_convened", "meetings_held", "report_issued", "actions_tracked",
          "closed", "cancelled", "ended_outside")


@click.command()
@click.argument("type_code", metavar="[TYPE]", required=False)
@click.option("--json", "as_json", is_flag=True)
def types(type_code: str | None, as_json: bool) -> None:
    """The intervention types in the catalogue; with TYPE (a code or name), that type: who
    must be on its panel, who may chair, who approves closure, and its deadlines."""
    from cli.catalogue_views import print_type, print_types
    from models.errors import ProblemError

    known = catalogue()
    if type_code is None:
        emit(known.active(), as_json, lambda: print_types(known.active()))
        return
    try:
        kind = known.get(type_code)
    except ProblemError as error:
        fail(EXIT_INVALID, "; ".join(p.rule for p in error.problems))
    emit(kind, as_json, lambda: print_type(kind))


@click.command()
def diagram() -> None:
    """Print the lifecycle as mermaid source, generated from the transition table."""
    from models.lifecycle import mermaid_diagram

    click.echo(mermaid_diagram(), nl=False)


@click.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def show(intervention_id: str, as_json: bool) -> None:
    """Status, panel, findings, actions, deadlines and the commands ready next (or what
    each still needs) of one intervention."""
    from cli.client import service
    from cli.views import print_status

    status = service().get(_path(intervention_id))
    emit(status, as_json, lambda: print_status(out(), status))


def _path(intervention_id: str) -> str:
    return f"/interventions/{quote(intervention_id, safe='')}"


@click.command()
@click.argument("intervention_id", required=False)
@click.option("--type", "type_code", help="Preview a type before starting one: its code or name "
              "(`qi types` lists them)")
@click.option("--start", "start_on", metavar="DATE",
              help="Start date for a type preview: YYYY-MM-DD, today, or DD/MM/YYYY, "
              "e.g. 2027-01-04")
@click.option("--json", "as_json", is_flag=True)
def preview(intervention_id: str | None, type_code: str | None, start_on: str | None,
            as_json: bool) -> None:
    """The planned deadlines, reminders and escalations: of an intervention, or of a type
    started on a given date."""
    from cli.views import print_plan
    from models.formats import parse_date

    if intervention_id and (type_code or start_on):
        fail(EXIT_INVALID, "give an intervention ID, or --type and --start, not both")
    if intervention_id:
        from cli.client import service

        items = service().get(_path(intervention_id) + "/schedule")
    elif type_code and start_on:
        from models.errors import ProblemError
        from models.preview import preview_type

        try:
            day = datetime.fromisoformat(parse_date(start_on)).date()
            kind = catalogue().get(type_code)
        except ValueError as error:  # a ProblemError is a ValueError too
            fail(EXIT_INVALID, str(error) if isinstance(error, ProblemError)
                 else f"--start: {error}")
        items = [item.model_dump(mode="json") for item in preview_type(kind, day)]
    else:
        fail(EXIT_INVALID, "give an intervention ID, or both --type and --start")
    emit(items, as_json, lambda: print_plan(out(), items))


@click.command(name="list")
@click.option("--state", type=click.Choice(STATES),
              help="Only interventions in this state (ended_outside: ended in Temporal, outside "
              "the service)")
@click.option("--type", "type_code", help="Only this type's code, e.g. urgent_risk_review")
@click.option("--provider", "provider_code", help="Only this provider's code, e.g. RXX01")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True)
def list_(state: str | None, type_code: str | None, provider_code: str | None,
          limit: int, offset: int, as_json: bool) -> None:
    """Interventions, newest first: the ones you may see."""
    from cli.client import service
    from cli.views import print_list

    page = service().get("/interventions", {"state": state, "type": type_code,
                                            "provider": provider_code, "limit": limit,
                                            "offset": offset})
    rows = page["items"]
    emit(rows, as_json, lambda: print_list(out(), rows, page["total"], offset))


@click.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def audit(intervention_id: str, as_json: bool) -> None:
    """Who did what, when and why: the intervention's audit trail."""
    from cli.client import service
    from cli.views import print_audit

    rows = service().get(_path(intervention_id) + "/audit")
    emit(rows, as_json, lambda: print_audit(out(), rows))
