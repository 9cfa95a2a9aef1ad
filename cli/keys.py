"""`qi keys`: the key file that seals payloads, on this machine. Keys are never printed.

The file is QI_KEYS_FILE (or --file); unset, the embedded stack's in the data folder. Workers,
the API and `qi` read it when they start, and again when they meet a payload sealed with a key
they have not loaded, so a rotated file reaches a running process by itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.environment import settings
from cli.exit_codes import EXIT_INVALID
from cli.output import fail

if TYPE_CHECKING:
    from core.keys import KeyRing

__all__ = ["keys"]

_FILE = click.option(
    "--file", "path", type=click.Path(dir_okay=False, path_type=Path),
    help="The key file; default QI_KEYS_FILE, else the data folder's keys.json (embedded).")


def _path(path: Path | None) -> Path:
    from core.keys import KeysUnavailable
    from core.temporal import key_file

    if path is not None:
        return path
    try:
        return key_file(settings())
    except KeysUnavailable as error:
        fail(EXIT_INVALID, f"{error}; or pass --file")


def _read(path: Path) -> KeyRing:
    from core.keys import KeysUnavailable, read_keys

    try:
        return read_keys(path)
    except KeysUnavailable as error:
        fail(EXIT_INVALID, str(error))


@click.group()
def keys() -> None:
    """Keys that seal what Temporal stores: create, list, rotate."""


@keys.command()
@_FILE
def create(path: Path | None) -> None:
    """Create the key file (mode 0600) with its first key; refused if it exists."""
    from core.keys import create_key_file

    target = _path(path)
    ring = create_key_file(target)
    if ring is None:
        fail(EXIT_INVALID, f"key file {target}: exists already; `qi keys rotate` adds a key")
    click.echo(f"created {target} with key {ring.current} (current)")


@keys.command(name="list")
@_FILE
@click.option("--json", "as_json", is_flag=True)
def list_(path: Path | None, as_json: bool) -> None:
    """Each key's ID and creation time, and which one seals new payloads."""
    ring = _read(_path(path))
    rows = [{"id": key.id, "created": key.created.isoformat(), "current": key.id == ring.current}
            for key in sorted(ring.keys.values(), key=lambda k: k.created)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['created']}\t{'current' if row['current'] else 'opens'}")


@keys.command()
@_FILE
def rotate(path: Path | None) -> None:
    """Add a key and make it current; the old keys stay, to open what they sealed."""
    from core.keys import write_keys

    target = _path(path)
    ring = _read(target).rotated()
    write_keys(target, ring)
    click.echo(f"{ring.current} is current in {target}; {len(ring.keys) - 1} older "
               f"key(s) kept to open earlier payloads")
