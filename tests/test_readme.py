"""The README's lifecycle diagram is the one the transition table generates."""

from __future__ import annotations

import re
from pathlib import Path

from models.lifecycle import mermaid_diagram

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_diagram_matches_the_lifecycle() -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "README should carry exactly one mermaid diagram"
    assert blocks[0] == mermaid_diagram(), "README diagram is stale: paste `qi diagram` into it"


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
