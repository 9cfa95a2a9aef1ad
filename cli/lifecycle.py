"""`qi start` and one `qi` command per lifecycle command (`qi convene-panel`, `qi close`, ...),
generated from the bodies the API takes (`models.bodies`: the registry's contracts without who
sends them): options, their help and a worked example.

Input is checked against the body here, before anything is sent, so a mistake is named by its
option; the command goes to the service as the signed-in user, and the lifecycle's refusals
come back named the same way. A command's line says what it created (M1, F1, A1) and what is
ready next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cli.environment import catalogue
from cli.exit_codes import EXIT_INVALID
from cli.names import dashed
from cli.options import FieldOption, InputError, assemble, example_line, field_options
from cli.output import fail

if TYPE_CHECKING:
    from pydantic import BaseModel

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

    from models.bodies import StartBody
    from models.formats import Format

    options = field_options(StartBody)
    codes = tuple(t.code for t in catalogue().active())
    kinds = Format("one of: " + ", ".join(codes) + " (or a type's name; `qi types` lists them)",
                   codes[0], codes)
    return [replace(o, format=kinds) if o.path == ("type",) else o for o in options]


def start_command() -> click.Command:
    import json

    from cli.client import service
    from models.bodies import StartBody

    options = _start_options()
    high = catalogue().risk_bands.high_from

    def callback(request_id: str | None, data: str | None, as_json: bool, **values: Any) -> None:
        request = _checked(StartBody, options, values, data)
        headers = {"Idempotency-Key": request_id} if request_id else None
        status = service(options).post(
            "/interventions", request.model_dump(mode="json", exclude_unset=True), headers)
        if as_json:
            click.echo(json.dumps(status, indent=2))
        else:
            click.echo(status["data"]["reference"] or status["data"]["intervention_id"])

    command = click.Command(
        name="start", callback=callback,
        help="Start an intervention, coordinated by you (the user signed in with `qi login`)."
        "\n\nPrints the new intervention's reference "
        "(e.g. QI-2027-0042), which every command takes as well as its full ID. "
        f"The risk score is likelihood x impact; below {high} (the high band) give "
        "--concern-override-justification too.",
        params=[click.Option(["--request-id"], help="Starting again with the same ID returns "
                             "the same intervention, started once")],
    )
    _attach(command, options, None)
    return command


def _created(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What the command added: `meeting M1`, `finding F1`, `action A1`."""
    found = []
    for kind, items in (("meeting", "meetings"), ("finding", "findings"), ("action", "actions")):
        known = {item["id"] for item in before["data"][items]}
        found += [f"{kind} {item['id']}" for item in after["data"][items]
                  if item["id"] not in known]
    return found


def _reply(name: str, result: dict[str, Any], created: list[str], after: dict[str, Any]) -> str:
    ready = [dashed(s["command"]) for s in after["next_steps"] if not s["blocked_by"]]
    made = f"; added {', '.join(created)}" if created else ""
    named = result["reference"] or result["intervention_id"]
    return (f"{name}: {named} is now {result['state']}{made} "
            f"(ready next: {', '.join(ready) or 'nothing'})")


def lifecycle_command(name: str) -> click.Command:
    """The `qi` command for the lifecycle command `name` (dashed)."""
    from models.bodies import COMMAND_BODIES
    from models.commands import Event

    event = Event(name.replace("-", "_"))
    model = COMMAND_BODIES[event]
    options = field_options(model)

    def callback(intervention_id: str, data: str | None, as_json: bool, **values: Any) -> None:
        import json
        from urllib.parse import quote

        from cli.client import service

        body = _checked(model, options, values, data).model_dump(mode="json",
                                                                  exclude_unset=True)
        client = service(options)
        path = f"/interventions/{quote(intervention_id, safe='')}"
        before = client.get(path)
        result = client.post(f"{path}/{name}", body)
        after = client.get(path)
        created = _created(before, after)
        if as_json:
            answer = result | {"created": [c.split()[1] for c in created]}
            click.echo(json.dumps(answer, indent=2))
        else:
            click.echo(_reply(name, result, created, after))

    command = click.Command(
        name=name, callback=callback,
        params=[click.Argument(["intervention_id"])],
        help=(model.__doc__ or "").strip() + "\n\nSent as the user signed in with `qi login`, "
        "who is recorded as its actor.\n\nINTERVENTION_ID is what `qi start` printed "
        "(a reference such as QI-2027-0042) or the full intervention-<uuid> ID.",
    )
    _attach(command, options, _ID)
    return command

