"""Where `qi` writes: results to stdout (tables for people, JSON for scripts), one-line
errors to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import click
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

__all__ = ["emit", "err", "fail", "out", "print_error"]

out = Console()
err = Console(stderr=True)


def print_error(message: str) -> None:
    # One line whatever the terminal width; the message may quote user input, never markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def fail(code: int, message: str) -> NoReturn:
    """Print `message` as the one error line and exit with `code` (see `cli.exit_codes`)."""
    print_error(message)
    raise SystemExit(code)


def emit(model: BaseModel | list[Any], as_json: bool, human: Callable[[], None]) -> None:
    """JSON of `model` with `--json`, else whatever `human` prints."""
    if as_json:
        if isinstance(model, list):
            click.echo(json.dumps([m.model_dump(mode="json") for m in model], indent=2))
        else:
            click.echo(model.model_dump_json(indent=2))
    else:
        human()
