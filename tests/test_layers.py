"""Imports point one way: models <- workflows <- activities <- core <- entry points
(api/, cli/, worker.py). Checked on every import statement, including those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENTRY_POINTS = {"api", "cli", "worker"}
# What each inner layer must never import (besides the entry points).
OUTER = {
    "models": {"workflows", "activities", "core"},
    "workflows": {"activities", "core"},
    "activities": set(),
    "core": set(),
}


def _imported(path: Path) -> set[str]:
    """The top-level package of every absolute import in `path`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(OUTER))
def test_an_inner_layer_imports_no_outer_one(layer: str) -> None:
    forbidden = ENTRY_POINTS | OUTER[layer]
    found = {
        str(path.relative_to(REPO)): sorted(_imported(path) & forbidden)
        for path in sorted((REPO / layer).rglob("*.py"))
    }

    assert {name: outer for name, outer in found.items() if outer} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from cli.output import fail\n    import worker\n")

    assert _imported(module) == {"cli", "worker"}
