"""`cli/options.json`, which `qi` builds its lifecycle commands from, is the description the
contracts generate now: a changed contract cannot leave `qi` asking for the old fields."""

from __future__ import annotations

from cli.describe import rendered
from cli.options import DESCRIPTION


def test_the_options_file_is_the_one_the_contracts_generate() -> None:
    assert DESCRIPTION.read_text(encoding="utf-8") == rendered(), (
        "cli/options.json is stale (a contract changed): run `make cli-options` "
        "(or `python -m cli.describe`) and commit the file")
