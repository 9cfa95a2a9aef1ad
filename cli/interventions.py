"""`qi` commands that read interventions and show the catalogue.

`qi show` and `qi preview ID` ask the intervention's workflow (through the client facade);
`qi list` and `qi audit` read the read model; `qi types` and `qi diagram` need neither. Heavy
modules are imported inside the commands that use them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from cli.connection import catalogue, with_service
from cli.exit_codes import EXIT_INVALID
from cli.output import emit, fail, out

if TYPE_CHECKING:
    from models.status import InterventionStatus

__all__ = ["audit", "diagram", "list_", "preview", "show", "types"]


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
    from cli.views import print_status

    status: InterventionStatus = with_service(lambda s: s.status(intervention_id))
    emit(status, as_json, lambda: print_status(out(), status))


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
    from cli.formats import parse_date
    from cli.views import print_plan
    from models.errors import ProblemError
    from models.preview import preview_intervention, preview_type

    if intervention_id and (type_code or start_on):
        fail(EXIT_INVALID, "give an intervention ID, or --type and --start, not both")
    if intervention_id:
        status: InterventionStatus = with_service(lambda s: s.status(intervention_id))
        items = preview_intervention(status.data, status.upcoming)
    elif type_code and start_on:
        try:
            day = datetime.fromisoformat(parse_date(start_on)).date()
            kind = catalogue().get(type_code)
        except ValueError as error:  # a ProblemError is a ValueError too
            fail(EXIT_INVALID, str(error) if isinstance(error, ProblemError)
                 else f"--start: {error}")
        items = preview_type(kind, day)
    else:
        fail(EXIT_INVALID, "give an intervention ID, or both --type and --start")
    emit(items, as_json, lambda: print_plan(out(), items))


@click.command(name="list")
@click.option("--state", help="Only interventions in this state, e.g. report_issued")
@click.option("--type", "type_code", help="Only this type's code, e.g. urgent_risk_review")
@click.option("--provider", "provider_code", help="Only this provider's code, e.g. RXX01")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True)
def list_(state: str | None, type_code: str | None, provider_code: str | None,
          limit: int, offset: int, as_json: bool) -> None:
    """Interventions from the read model, newest first."""
    from cli.read_model import with_read_model
    from cli.views import print_list
    from core.read_model import list_interventions

    rows = with_read_model(lambda engine: list_interventions(
        engine, state=state, type_code=type_code, provider_code=provider_code,
        limit=limit, offset=offset))
    emit(rows, as_json, lambda: print_list(out(), rows))


@click.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def audit(intervention_id: str, as_json: bool) -> None:
    """Who did what, when and why, from the read model's audit trail."""
    from cli.read_model import with_read_model
    from cli.views import print_audit
    from core.read_model import audit_trail
    from core.references import resolve_intervention_id

    rows = with_read_model(lambda engine: audit_trail(
        engine, resolve_intervention_id(engine, intervention_id)))
    emit(rows, as_json, lambda: print_audit(out(), rows))
