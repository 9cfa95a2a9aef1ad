"""Command names: one spelling shown (`agree-action-plan`), both accepted; and each lifecycle
command's one-line summary, read from the contracts' source so that `qi --help` lists them
without building the pydantic models (most of its time otherwise). A test checks this index
against the registry."""

from __future__ import annotations

import ast
import re
from functools import cache
from importlib.util import find_spec

__all__ = ["contract_class", "dashed", "dashed_commands", "docstring", "lifecycle_summaries",
           "start_summary"]


def dashed(name: str) -> str:
    return name.replace("_", "-")


def contract_class(event: str) -> str:
    """`agree_action_plan` -> `AgreeActionPlan`: the registry names contracts so."""
    return "".join(part.capitalize() for part in event.split("_"))


@cache
def _tree(module: str) -> ast.Module:
    spec = find_spec(module)
    origin = spec.origin if spec is not None else None
    if origin is None:
        raise ImportError(f"{module} has no source to read")
    with open(origin, encoding="utf-8") as source:
        return ast.parse(source.read())


def docstring(module: str, name: str) -> str:
    """The docstring of `module`'s function or class `name`, read without importing it."""
    found = next((n for n in _tree(module).body if isinstance(
        n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name), None)
    return (ast.get_docstring(found) or "").strip() if found is not None else ""


@cache
def _source() -> tuple[list[str], dict[str, str]]:
    tree = _tree("models.commands")
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    events = [str(stmt.value.value) for stmt in classes["Event"].body
              if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)]
    docs = {name: (ast.get_docstring(node) or "").strip() for name, node in classes.items()}
    return events, docs


def lifecycle_summaries() -> dict[str, str]:
    """Dashed command name -> its contract's docstring, in the registry's order."""
    events, docs = _source()
    return {dashed(e): docs.get(contract_class(e), "") for e in events}


def start_summary() -> str:
    return docstring("models.commands", "StartRequest")


@cache
def _underscored() -> re.Pattern[str]:
    names = sorted((e for e in _source()[0] if "_" in e), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(names) + r")\b")


def dashed_commands(text: str) -> str:
    """Command names inside a reason (`allowed now: convene_panel`) as `qi` spells them."""
    return _underscored().sub(lambda m: dashed(m[0]), text)
