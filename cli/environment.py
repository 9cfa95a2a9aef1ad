"""The settings as `qi` commands use them: read when a command needs them, not before (so
`qi --help` never pays for them), checked once, a bad one reported in one line naming it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.exit_codes import EXIT_INVALID
from cli.output import fail

if TYPE_CHECKING:
    from core.settings import Settings
    from models.catalogue import Catalogue

__all__ = ["catalogue", "catalogue_path", "settings"]

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


def catalogue_path() -> Path | None:
    """QI_CATALOGUE, read without loading every setting when nothing else is needed: importing
    pydantic-settings costs more than the rest of `qi types`. A `.env` file may set it (or any
    setting already read), and then the settings are read in full."""
    root = click.get_current_context().find_root()
    if _KEY in root.meta or Path(".env").exists():
        return settings(logs=False).catalogue
    value = next((v for k, v in os.environ.items() if k.upper() == "QI_CATALOGUE"), "")
    return Path(value) if value else None


def catalogue() -> Catalogue:
    """The catalogue of intervention types (QI_CATALOGUE, else the one shipped); a broken one
    is one line naming what is wrong (exit 2)."""
    from models.catalogue import load_catalogue
    from models.errors import ProblemError

    try:
        return load_catalogue(catalogue_path())
    except ProblemError as error:
        fail(EXIT_INVALID, str(error))
