"""`qi`: run the stack, start and drive interventions from a terminal.

Everything `qi` parses or prints lives in this package: the commands (`cli.run`,
`cli.interventions`, `cli.lifecycle`, `cli.admin`), the options and their formats, read from
`cli/options.json`, which `cli.describe` generates from the contracts (`models.formats` words
them), errors in the options' terms (`cli.problems`), the tables (`cli.views`), the output and
exit codes (`cli.output`, `cli.exit_codes`).

A command's module is imported only when that command runs (or shows its help), so `qi --help`
and `qi types` never load the Temporal client or SQLAlchemy, and the commands that start or
drive an intervention load no model at all.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import NoReturn

import click

from cli.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from cli.names import dashed, docstring, lifecycle_summaries, start_summary

__all__ = ["cli", "main"]

# Every command but the lifecycle's, by name: where it is defined.
_COMMANDS = {
    "up": "cli.run:up",
    "worker": "cli.run:worker",
    "api": "cli.run:api",
    "migrate": "cli.run:migrate",
    "types": "cli.interventions:types",
    "diagram": "cli.interventions:diagram",
    "show": "cli.interventions:show",
    "preview": "cli.interventions:preview",
    "list": "cli.interventions:list_",
    "audit": "cli.interventions:audit",
    "users": "cli.admin:users",
    "tokens": "cli.admin:tokens",
    "keys": "cli.keys:keys",
    "outbox": "cli.outbox:outbox",
    "login": "cli.account:login",
    "logout": "cli.account:logout",
    "whoami": "cli.account:whoami",
}


class _Qi(click.Group):
    """Commands loaded when used; `agree_action_plan` answers as `agree-action-plan`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_COMMANDS, "start", *lifecycle_summaries(), *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = dashed(cmd_name)
        if name in self.commands:
            return self.commands[name]
        if name in _COMMANDS:
            module, _, attr = _COMMANDS[name].partition(":")
            command: click.Command = getattr(import_module(module), attr)
            return command
        if name == "start":
            from cli.lifecycle import start_command

            return start_command()
        if name in lifecycle_summaries():
            from cli.lifecycle import lifecycle_command

            return lifecycle_command(name)
        return None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        return (dashed(name) if name else name), command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Summaries are read from the source, without importing (or building) the commands.
        summaries = {**lifecycle_summaries(), "start": start_summary()}
        summaries |= {name: docstring(*where.split(":")) for name, where in _COMMANDS.items()}
        rows = []
        for name in self.list_commands(ctx):
            if name in summaries:
                rows.append((name, " ".join(summaries[name].split("\n\n")[0].split())))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Qi)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """Quality interventions: durable reviews of clinical learning environments.

    Every command takes --help, with the format of each option and a worked example.
    Commands that read or drive interventions are sent to the service as the user signed in
    with `qi login`; `up`, `worker`, `api`, `migrate`, `users`, `tokens` and `keys` run on the
    server itself.

    Exit codes: 0 done, 1 refused by the lifecycle, 2 invalid input (or settings),
    3 unknown intervention, user or token, 4 the service, Temporal or the database
    unreachable, 5 not signed in (or the sign-in expired), 6 your role may not, 130
    interrupted."""


def main() -> NoReturn:
    """Entry point. Exits with os._exit so the Temporal client's runtime cannot abort a
    finished command at interpreter shutdown (a known crash in the Python SDK)."""
    code = EXIT_OK
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as error:
        from models.errors import ProblemError

        if not isinstance(error, ProblemError):
            raise
        from cli.exit_codes import exit_code_for
        from cli.output import print_error

        print_error(str(error))  # bad input caught below the command, e.g. by the read model
        code = exit_code_for(error.error_type)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
