"""Where `qi` writes: results to stdout (tables for people, JSON for scripts), one-line
errors to stderr. The rich consoles are made on first use: `qi types` prints without them."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console

__all__ = ["emit", "fail", "out", "print_error"]


@cache
def out() -> Console:
    from rich.console import Console

    return Console()


def print_error(message: str) -> None:
    # One line whatever the terminal width; the message may quote user input, never markup.
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                               soft_wrap=True)


def fail(code: int, message: str) -> NoReturn:
    """Print `message` as the one error line and exit with `code` (see `cli.exit_codes`)."""
    print_error(message)
    raise SystemExit(code)


def emit(value: BaseModel | Any, as_json: bool, human: Callable[[], None]) -> None:
    """JSON of `value` (a model, or JSON the service answered) with `--json`, else whatever
    `human` prints."""
    if as_json:
        click.echo(json.dumps(_plain(value), indent=2))
    else:
        human()


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
