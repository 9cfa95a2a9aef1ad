"""`qi`: run the stack, start and drive interventions from a terminal.

Everything `qi` parses or prints lives in this package: the commands (`cli.run`,
`cli.interventions`, `cli.admin`), the options generated from the contracts (`cli.options`),
the tables (`cli.views`), the output and exit codes (`cli.output`, `cli.exit_codes`).
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click
from pydantic import ValidationError

from cli import admin, interventions, outbox, run
from cli.exit_codes import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, exit_code_for
from cli.output import fail, print_error
from core.logging import configure_logging
from core.settings import Settings
from models.errors import ProblemError

__all__ = ["cli", "main"]


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """Quality interventions: durable reviews of clinical learning environments."""
    try:
        settings = Settings()
    except ValidationError as error:
        fail(EXIT_INVALID, "; ".join(
            f"QI_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        ))
    configure_logging(settings, level="INFO" if verbose else None)


for _command in (
    run.up, run.worker, run.api, run.migrate,
    interventions.types, interventions.diagram, interventions.start, interventions.show,
    interventions.preview, interventions.list_, interventions.audit,
    *interventions.lifecycle_commands(),
    admin.users, admin.tokens, outbox.outbox,
):
    cli.add_command(_command)


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
    except ProblemError as error:  # bad input caught below the command, e.g. by the read model
        print_error(str(error))
        code = exit_code_for(error.error_type)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
