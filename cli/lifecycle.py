"""`qi start` and one `qi` command per lifecycle command (`qi convene-panel`, `qi close`, ...),
generated from the registry's contracts: options, their help and a worked example.

Input is checked against the contract here, before anything is sent, so a mistake is named by
its option; the lifecycle's refusals come back from the workflow and are named the same way.
A command's line says what it created (M1, F1, A1) and what is ready next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cli.connection import catalogue, with_service
from cli.exit_codes import EXIT_INVALID
from cli.names import dashed
from cli.options import FieldOption, InputError, assemble, example_line, field_options
from cli.output import fail

if TYPE_CHECKING:
    from pydantic import BaseModel

    from models.status import InterventionStatus

__all__ = ["lifecycle_command", "start_command"]

_ID = '"$id"'  # the intervention ID `qi start` printed, in the examples


def _checked(
    model: type[BaseModel], options: list[FieldOption], values: dict[str, Any], data: str | None
) -> Any:
    """The contract, from the options and `--data`; a mistake names its option (exit 2)."""
    from pydantic import ValidationError

    from cli.problems import explain_validation

    try:
        return model.model_validate(assemble(options, values, data))
    except InputError as error:
        fail(EXIT_INVALID, str(error))
    except ValidationError as error:
        fail(EXIT_INVALID, explain_validation(error, options))
    except OSError as error:  # --data @missing.json
        fail(EXIT_INVALID, f"--data: cannot read {error.filename} ({error.strerror})")


def _attach(command: click.Command, options: list[FieldOption], argument: str | None) -> None:
    command.params.extend(o.click_option() for o in options)
    command.params.append(click.Option(
        ["--data"], metavar="JSON|@FILE",
        help="The whole payload as JSON, or @file.json; options given too take precedence"))
    command.params.append(click.Option(["--json", "as_json"], is_flag=True,
                                       help="Print JSON for scripts"))
    assert command.name is not None
    command.epilog = "\b\nExample:\n  " + example_line(command.name, options, argument)


def _start_options() -> list[FieldOption]:
    from dataclasses import replace

    from cli.formats import Format
    from models.commands import StartRequest

    options = field_options(StartRequest)
    codes = tuple(t.code for t in catalogue().active())
    kinds = Format("one of: " + ", ".join(codes) + " (or a type's name; `qi types` lists them)",
                   codes[0], codes)
    return [replace(o, format=kinds) if o.path == ("type",) else o for o in options]


def start_command() -> click.Command:
    from models.commands import StartRequest

    options = _start_options()
    high = catalogue().risk_bands.high_from

    def callback(request_id: str | None, data: str | None, as_json: bool, **values: Any) -> None:
        request = _checked(StartRequest, options, values, data)
        status = with_service(lambda s: s.start(request, request_id=request_id), options)
        if as_json:
            click.echo(status.model_dump_json(indent=2))
        else:
            click.echo(status.data.reference or status.data.intervention_id)

    command = click.Command(
        name="start", callback=callback,
        help=(StartRequest.__doc__ or "").strip() + "\n\nPrints the new intervention's reference "
        "(e.g. QI-2027-0042), which every command takes as well as its full ID. "
        f"The risk score is likelihood x impact; below {high} (the high band) give "
        "--concern-override-justification too.",
        params=[click.Option(["--request-id"], help="Starting again with the same ID returns "
                             "the same intervention, started once")],
    )
    _attach(command, options, None)
    return command


def _created(before: InterventionStatus, after: InterventionStatus) -> list[str]:
    """What the command added: `meeting M1`, `finding F1`, `action A1`."""
    found = []
    for kind, old, new in (
        ("meeting", before.data.meetings, after.data.meetings),
        ("finding", before.data.findings, after.data.findings),
        ("action", before.data.actions, after.data.actions),
    ):
        known = {item.id for item in old}
        found += [f"{kind} {item.id}" for item in new if item.id not in known]
    return found


def _reply(name: str, result: Any, created: list[str], after: InterventionStatus) -> str:
    ready = [dashed(s.command) for s in after.next_steps if not s.blocked_by]
    made = f"; added {', '.join(created)}" if created else ""
    return (f"{name}: {result.reference or result.intervention_id} is now {result.state}{made} "
            f"(ready next: {', '.join(ready) or 'nothing'})")


def lifecycle_command(name: str) -> click.Command:
    """The `qi` command for the lifecycle command `name` (dashed)."""
    from models.commands import Event
    from models.registry import COMMANDS

    event = Event(name.replace("-", "_"))
    model = COMMANDS[event].contract
    options = field_options(model)

    def callback(intervention_id: str, data: str | None, as_json: bool, **values: Any) -> None:
        import json

        payload = _checked(model, options, values, data)

        async def work(service: Any) -> tuple[Any, Any, Any]:
            before = await service.status(intervention_id)
            result = await service.command(intervention_id, event, payload)
            return before, result, await service.status(intervention_id)

        before, result, after = with_service(work, options)
        created = _created(before, after)
        if as_json:
            answer = result.model_dump(mode="json") | {"created": [c.split()[1] for c in created]}
            click.echo(json.dumps(answer, indent=2))
        else:
            click.echo(_reply(name, result, created, after))

    command = click.Command(
        name=name, callback=callback,
        params=[click.Argument(["intervention_id"])],
        help=(model.__doc__ or "").strip() + "\n\nINTERVENTION_ID is what `qi start` printed "
        "(a reference such as QI-2027-0042) or the full intervention-<uuid> ID.",
    )
    _attach(command, options, _ID)
    return command

