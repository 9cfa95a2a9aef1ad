"""The settings as `qi` commands use them: read when a command needs them, not before (so
`qi --help` never pays for them), checked once, a bad one reported in one line naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli.exit_codes import EXIT_INVALID
from cli.output import fail

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["settings"]

_KEY = "qi.settings"


def settings(*, logs: bool = True) -> Settings:
    """The validated settings; with `logs`, logging is set up too (`qi -v`: INFO)."""
    from pydantic import ValidationError

    from core.settings import Settings

    root = click.get_current_context().find_root()
    if _KEY not in root.meta:
        try:
            root.meta[_KEY] = Settings()
        except ValidationError as error:
            fail(EXIT_INVALID, "; ".join(
                f"QI_{'_'.join(str(p) for p in e['loc']).upper()} is {e['input']!r}: "
                f"{e['msg'][0].lower()}{e['msg'][1:]}" for e in error.errors()))
    loaded: Settings = root.meta[_KEY]
    if logs and not root.meta.get(_KEY + ".logs"):
        from core.logging import configure_logging

        configure_logging(loaded, level="INFO" if root.params.get("verbose") else None)
        root.meta[_KEY + ".logs"] = True
    return loaded
