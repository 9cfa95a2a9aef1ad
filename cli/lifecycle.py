"""`qi start` and one `qi` command per lifecycle command (`qi convene-panel`, `qi close`, ...),
built from the description of the bodies the API takes (`cli.options`): options, their help and
a worked example.

What was typed is sent as the payload; the service checks it against the contract, and its
refusals come back named by the options a person typed (`cli.problems`): a mistake in a value,
or a rule of the lifecycle. A command's line says what it created (M1, F1, A1) and what is
ready next. Nothing here loads a model, so a command costs little more than its requests.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from cli.exit_codes import EXIT_INVALID
from cli.names import dashed
from cli.options import (
    FieldOption,
    InputError,
    assemble,
    command_help,
    command_options,
    example_line,
    start_options,
)
from cli.output import fail

__all__ = ["lifecycle_command", "start_command"]

_ID = '"$id"'  # the intervention ID `qi start` printed, in the examples


def _payload(options: list[FieldOption], values: dict[str, Any], data: str | None) -> Any:
    """The payload, from the options and `--data`; a value that cannot be read names its
    option (exit 2)."""
    try:
        return assemble(options, values, data)
    except InputError as error:
        fail(EXIT_INVALID, str(error))
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


def _start_options_with_types() -> list[FieldOption]:
    """The start's options, `--type` offering the catalogue's types (read from it: only for
    the help, or to explain a refusal)."""
    from cli.environment import catalogue
    from models.formats import Format

    codes = tuple(t.code for t in catalogue().active())
    kinds = Format("one of: " + ", ".join(codes) + " (or a type's name; `qi types` lists them)",
                   codes[0], codes)
    return [replace(o, format=kinds) if o.path == ("type",) else o for o in start_options()]


def _start_help(high: int) -> str:
    return ("Start an intervention, coordinated by you (the user signed in with `qi login`)."
            "\n\nPrints the new intervention's reference "
            "(e.g. QI-2027-0042), which every command takes as well as its full ID. "
            f"The risk score is likelihood x impact; below {high} (the high band) give "
            "--concern-override-justification too.")


def _request_id() -> click.Option:
    return click.Option(["--request-id"], help="Starting again with the same ID returns the "
                        "same intervention, started once")


class _Start(click.Command):
    """`qi start`, whose help names the catalogue's types and its high band: the catalogue is
    read when the help is shown, so starting an intervention does not wait for it."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from cli.environment import catalogue

        self.help = _start_help(catalogue().risk_bands.high_from)
        self.params = [_request_id()]
        _attach(self, _start_options_with_types(), None)
        super().format_help(ctx, formatter)


def start_command() -> click.Command:
    options = start_options()

    def callback(request_id: str | None, data: str | None, as_json: bool, **values: Any) -> None:
        import json

        from cli.client import service

        body = _payload(options, values, data)
        headers = {"Idempotency-Key": request_id} if request_id else None
        status = service(_start_options_with_types).post("/interventions", body, headers)
        if as_json:
            click.echo(json.dumps(status, indent=2))
        else:
            click.echo(status["data"]["reference"] or status["data"]["intervention_id"])

    command = _Start(name="start", callback=callback, params=[_request_id()])
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
    options = command_options(name)

    def callback(intervention_id: str, data: str | None, as_json: bool, **values: Any) -> None:
        import json
        from urllib.parse import quote

        from cli.client import service

        body = _payload(options, values, data)
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
        help=command_help(name) + "\n\nSent as the user signed in with `qi login`, "
        "who is recorded as its actor.\n\nINTERVENTION_ID is what `qi start` printed "
        "(a reference such as QI-2027-0042) or the full intervention-<uuid> ID.",
    )
    _attach(command, options, _ID)
    return command
