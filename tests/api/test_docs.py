"""The README's permission table is the one `models/access.py` defines."""

from __future__ import annotations

from pathlib import Path

from models.access import permission_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_permission_table_matches_the_code() -> None:
    assert permission_table() in README.read_text(encoding="utf-8"), (
        "README permission table is stale: paste models.access.permission_table() into it"
    )
