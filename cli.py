"""`qi`: run the stack, start and drive interventions from a terminal.

Exit codes: 0 done, 1 refused by the lifecycle, 2 invalid input, 3 unknown intervention,
4 Temporal or the database unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, NoReturn, TypeVar

import click
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api import admin as api_admin
from core.interventions import InterventionError, Interventions
from core.logging import configure_logging
from core.options import FieldOption, assemble, field_options
from core.settings import Settings
from models.catalogue import Catalogue, load_catalogue
from models.commands import Event, StartRequest
from models.errors import ErrorType, ProblemError
from models.intervention import Contacts
from models.lifecycle import mermaid_diagram
from models.registry import COMMANDS
from models.status import InterventionStatus

__all__ = ["main"]

T = TypeVar("T")
out = Console()
err = Console(stderr=True)

EXIT_REFUSED, EXIT_INVALID, EXIT_UNKNOWN, EXIT_UNAVAILABLE = 1, 2, 3, 4
_EXIT_FOR = {
    ErrorType.COMMAND_REFUSED: EXIT_REFUSED,
    ErrorType.INVALID_INPUT: EXIT_INVALID,
    ErrorType.CATALOGUE_INVALID: EXIT_INVALID,
    ErrorType.UNKNOWN_REFERENCE: EXIT_UNKNOWN,
}


def _print_error(message: str) -> None:
    # One line whatever the terminal width; the message may quote user input, never markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _fail(code: int, message: str) -> NoReturn:
    _print_error(message)
    raise SystemExit(code)


def _catalogue(settings: Settings) -> Catalogue:
    try:
        return load_catalogue(settings.catalogue)
    except ProblemError as error:
        _fail(EXIT_INVALID, str(error))


def _run(work: Callable[[Interventions], Awaitable[T]]) -> T:
    """Connect to Temporal, do the work, and turn every failure into a one-line reason."""
    from core.temporal import connect

    settings = Settings()

    async def go() -> T:
        try:
            client = await connect(settings)
        except RuntimeError as exc:
            _fail(EXIT_UNAVAILABLE, f"cannot reach Temporal ({exc}); is `make run` running?")
        contacts = Contacts(quality_lead_email=settings.quality_lead_email,
                            dean_email=settings.dean_email)
        service = Interventions(client, task_queue=settings.task_queue, contacts=contacts,
                                catalogue=_catalogue(settings))
        return await work(service)

    try:
        return asyncio.run(go())
    except InterventionError as error:
        _fail(_EXIT_FOR.get(error.error_type, EXIT_REFUSED), str(error))


def _emit(model: BaseModel | list[Any], as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        if isinstance(model, list):
            click.echo(json.dumps([m.model_dump(mode="json") for m in model], indent=2))
        else:
            click.echo(model.model_dump_json(indent=2))
    else:
        human()


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """Quality interventions: durable reviews of clinical learning environments."""
    try:
        settings = Settings()
    except ValidationError as error:
        _fail(EXIT_INVALID, "; ".join(
            f"QI_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        ))
    configure_logging(settings, level="INFO" if verbose else None)


@cli.command()
def up() -> None:
    """Run the stack: embedded Temporal (or QI_TEMPORAL_ADDRESS), the worker and the HTTP API."""
    from core.up import run_stack

    # Ctrl-C arrives as KeyboardInterrupt, SIGTERM as cancellation (see run_stack).
    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(run_stack(Settings()))
    except RuntimeError as exc:  # e.g. the API's port is taken
        _fail(EXIT_UNAVAILABLE, str(exc))


@cli.command()
def worker() -> None:
    """Run only the worker, against the Temporal the settings name.

    SIGTERM or Ctrl-C: polling stops and running activities get QI_GRACEFUL_SHUTDOWN_SECONDS
    to finish; then it exits 0. A second signal stops at once."""
    from worker import serve

    serve(Settings())


@cli.command()
def migrate() -> None:
    """Bring the read model (QI_DATABASE_URL) up to the latest schema, then exit."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import OperationalError

    from core.database import migrate as upgrade

    url = Settings().resolved_database_url
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        upgrade(url)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig).split())  # drivers reply over several lines
        _fail(EXIT_UNAVAILABLE, f"cannot reach the read model at {shown} ({reason})")
    click.echo(f"Read model at the latest schema: {shown}")


@cli.command()
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

    _emit(catalogue.active(), as_json, table)


@cli.command()
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
@cli.command()
@click.option("--request-id", help="Starting again with the same ID returns the same intervention")
def start(request_id: str | None, data: str | None, as_json: bool, **values: Any) -> None:
    """Start an intervention."""
    payload = assemble(_START_OPTIONS, values, data)
    status = _run(lambda s: s.start(payload, request_id=request_id))
    if as_json:
        click.echo(status.model_dump_json(indent=2))
    else:
        click.echo(status.data.intervention_id)


@cli.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def show(intervention_id: str, as_json: bool) -> None:
    """Status, deadlines and allowed next commands of one intervention."""
    from core.views import print_status

    status: InterventionStatus = _run(lambda s: s.status(intervention_id))
    _emit(status, as_json, lambda: print_status(out, status))


@cli.command()
@click.argument("intervention_id", required=False)
@click.option("--type", "type_code", help="Preview a type before starting one")
@click.option("--start", "start_on", type=click.DateTime(["%Y-%m-%d"]),
              help="Start date for a type preview (YYYY-MM-DD)")
@click.option("--json", "as_json", is_flag=True)
def preview(intervention_id: str | None, type_code: str | None, start_on: datetime | None,
            as_json: bool) -> None:
    """The planned deadlines, reminders and escalations: of an intervention, or of a type
    started on a given date."""
    from core.views import print_plan
    from models.preview import preview_intervention, preview_type

    if intervention_id and (type_code or start_on):
        _fail(EXIT_INVALID, "give an intervention ID, or --type and --start, not both")
    if intervention_id:
        status: InterventionStatus = _run(lambda s: s.status(intervention_id))
        items = preview_intervention(status.data, status.upcoming)
    elif type_code and start_on:
        try:
            kind = _catalogue(Settings()).get(type_code)
        except ProblemError as error:
            _fail(EXIT_INVALID, str(error))
        items = preview_type(kind, start_on.date())
    else:
        _fail(EXIT_INVALID, "give an intervention ID, or both --type and --start")
    _emit(items, as_json, lambda: print_plan(out, items))


@cli.command(name="list")
@click.option("--state")
@click.option("--type", "type_code")
@click.option("--provider", "provider_code")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True)
def list_(state: str | None, type_code: str | None, provider_code: str | None,
          limit: int, offset: int, as_json: bool) -> None:
    """Interventions from the read model, newest first."""
    from core.database import make_engine
    from core.read_model import list_interventions
    from core.views import print_list

    engine = make_engine(Settings().resolved_database_url)
    rows = list_interventions(engine, state=state, type_code=type_code,
                              provider_code=provider_code, limit=limit, offset=offset)
    _emit(rows, as_json, lambda: print_list(out, rows))


@cli.command()
@click.argument("intervention_id")
@click.option("--json", "as_json", is_flag=True)
def audit(intervention_id: str, as_json: bool) -> None:
    """Who did what, when and why, from the read model's audit trail."""
    from core.database import make_engine
    from core.read_model import audit_trail
    from core.views import print_audit

    rows = audit_trail(make_engine(Settings().resolved_database_url), intervention_id)
    _emit(rows, as_json, lambda: print_audit(out, rows))


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


for _event in COMMANDS:
    cli.add_command(_lifecycle_command(_event))

for _command in (api_admin.api, api_admin.users, api_admin.tokens):
    cli.add_command(_command)


def main() -> NoReturn:
    """Entry point. Exits with os._exit so the Temporal client's runtime cannot abort a
    finished command at interpreter shutdown (a known crash in the Python SDK)."""
    code = 0
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ProblemError as error:  # bad input caught below the command, e.g. by the read model
        _print_error(str(error))
        code = _EXIT_FOR.get(error.error_type, EXIT_INVALID)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
