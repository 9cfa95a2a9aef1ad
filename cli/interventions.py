"""`qi` commands that start, drive and read interventions, and show the catalogue.

Commands go through the client facade (`core.interventions`) to Temporal; `qi list` and
`qi audit` read the read model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.table import Table

from cli.exit_codes import EXIT_INVALID, EXIT_UNAVAILABLE, exit_code_for
from cli.options import FieldOption, assemble, field_options
from cli.output import emit, fail, out
from cli.read_model import with_read_model
from core.interventions import Interventions
from core.settings import Settings
from models.catalogue import Catalogue, load_catalogue
from models.commands import Event, StartRequest
from models.errors import InterventionError, ProblemError
from models.intervention import Contacts
from models.lifecycle import mermaid_diagram
from models.registry import COMMANDS
from models.status import InterventionStatus

__all__ = ["audit", "diagram", "lifecycle_commands", "list_", "preview", "show", "start", "types"]

T = TypeVar("T")


def _catalogue(settings: Settings) -> Catalogue:
    try:
        return load_catalogue(settings.catalogue)
    except ProblemError as error:
        fail(EXIT_INVALID, str(error))


def _run(work: Callable[[Interventions], Awaitable[T]]) -> T:
    """Connect to Temporal, do the work, and turn every failure into a one-line reason."""
    from core.temporal import connect

    settings = Settings()

    async def go() -> T:
        try:
            client = await connect(settings)
        except RuntimeError as exc:
            fail(EXIT_UNAVAILABLE, f"cannot reach Temporal ({exc}); is `make run` running?")
        contacts = Contacts(quality_lead_email=settings.quality_lead_email,
                            dean_email=settings.dean_email)
        service = Interventions(client, task_queue=settings.task_queue, contacts=contacts,
                                catalogue=_catalogue(settings))
        return await work(service)

    try:
        return asyncio.run(go())
    except InterventionError as error:
        fail(exit_code_for(error.error_type), str(error))


@click.command()
@click.option("--json", "as_json", is_flag=True)
def types(as_json: bool) -> None:
    """List the intervention types in the catalogue."""
    catalogue = _catalogue(Settings())

    def table() -> None:
        grid = Table("code", "name", "required panel roles", "first meeting", "reminders")
        for t in catalogue.active():
            grid.add_row(t.code, t.name, ", ".join(t.required_roles) or "-",
                         f"{t.sla.first_meeting_days} working days",
                         f"every {t.sla.progress_reminder_months} month(s)")
        out.print(grid)

    emit(catalogue.active(), as_json, table)


@click.command()
def diagram() -> None:
    """Print the lifecycle as mermaid source, generated from the transition table."""
    click.echo(mermaid_diagram(), nl=False)


def _with_options(options: list[FieldOption]) -> Callable[[click.Command], click.Command]:
    def attach(command: click.Command) -> click.Command:
        command.params.extend(o.click_option() for o in options)
        command.params.append(click.Option(["--data"], help="JSON payload or @file.json; "
                                           "options given on the line take precedence"))
        command.params.append(click.Option(["--json", "as_json"], is_flag=True,
                                           help="Print JSON for scripts"))
        return command

    return attach


_START_OPTIONS = field_options(StartRequest)


@_with_options(_START_OPTIONS)
@click.command()
@click.option("--request-id", help="Starting again with the same ID returns the same intervention")
def start(request_id: str | None, data: str | None, as_json: bool, **values: Any) -> None:
    """Start an intervention."""
    payload = assemble(_START_OPTIONS, values, data)
    status = _run(lambda s: s.start(payload, request_id=request_id))
    if as_json:
        click.echo(status.model_dump_json(indent=2))
    else:
        click.echo(status.data.intervention_id)


@click.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def show(intervention_id: str, as_json: bool) -> None:
    """Status, deadlines and allowed next commands of one intervention."""
    from cli.views import print_status

    status: InterventionStatus = _run(lambda s: s.status(intervention_id))
    emit(status, as_json, lambda: print_status(out, status))


@click.command()
@click.argument("intervention_id", required=False)
@click.option("--type", "type_code", help="Preview a type before starting one")
@click.option("--start", "start_on", type=click.DateTime(["%Y-%m-%d"]),
              help="Start date for a type preview (YYYY-MM-DD)")
@click.option("--json", "as_json", is_flag=True)
def preview(intervention_id: str | None, type_code: str | None, start_on: datetime | None,
            as_json: bool) -> None:
    """The planned deadlines, reminders and escalations: of an intervention, or of a type
    started on a given date."""
    from cli.views import print_plan
    from models.preview import preview_intervention, preview_type

    if intervention_id and (type_code or start_on):
        fail(EXIT_INVALID, "give an intervention ID, or --type and --start, not both")
    if intervention_id:
        status: InterventionStatus = _run(lambda s: s.status(intervention_id))
        items = preview_intervention(status.data, status.upcoming)
    elif type_code and start_on:
        try:
            kind = _catalogue(Settings()).get(type_code)
        except ProblemError as error:
            fail(EXIT_INVALID, str(error))
        items = preview_type(kind, start_on.date())
    else:
        fail(EXIT_INVALID, "give an intervention ID, or both --type and --start")
    emit(items, as_json, lambda: print_plan(out, items))


@click.command(name="list")
@click.option("--state")
@click.option("--type", "type_code")
@click.option("--provider", "provider_code")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True)
def list_(state: str | None, type_code: str | None, provider_code: str | None,
          limit: int, offset: int, as_json: bool) -> None:
    """Interventions from the read model, newest first."""
    from cli.views import print_list
    from core.read_model import list_interventions

    rows = with_read_model(lambda engine: list_interventions(
        engine, state=state, type_code=type_code, provider_code=provider_code,
        limit=limit, offset=offset))
    emit(rows, as_json, lambda: print_list(out, rows))


@click.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def audit(intervention_id: str, as_json: bool) -> None:
    """Who did what, when and why, from the read model's audit trail."""
    from cli.views import print_audit
    from core.read_model import audit_trail

    rows = with_read_model(lambda engine: audit_trail(engine, intervention_id))
    emit(rows, as_json, lambda: print_audit(out, rows))


def _lifecycle_command(event: Event) -> click.Command:
    model = COMMANDS[event].contract
    options = field_options(model)

    def callback(intervention_id: str, data: str | None, as_json: bool, **values: Any) -> None:
        payload = assemble(options, values, data)
        result = _run(lambda s: s.command(intervention_id, event, payload))
        if as_json:
            click.echo(result.model_dump_json(indent=2))
        else:
            click.echo(f"{event}: {result.intervention_id} is now {result.state} "
                       f"(allowed next: {', '.join(result.allowed) or 'nothing'})")

    command = click.Command(
        name=event.value.replace("_", "-"),
        callback=callback,
        params=[click.Argument(["intervention_id"])],
        help=(model.__doc__ or event.value.replace("_", " ").capitalize() + ".").strip(),
    )
    return _with_options(options)(command)


def lifecycle_commands() -> list[click.Command]:
    """One `qi` command per lifecycle event (`qi convene-panel`, `qi close`, ...)."""
    return [_lifecycle_command(event) for event in COMMANDS]
