"""Errors in a coordinator's words: the option to fix, the rule, the allowed values.

Pydantic's locations (`members.1.roles.0`) and the lifecycle's fields (`held_on`) become the
options a person typed (`the second --members, roles`, `--held-on`); pydantic's messages
become the format the option's help gives, never a regex or a JSON path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from cli.exit_codes import EXIT_INVALID, exit_code_for
from cli.options import FieldOption
from models.errors import ErrorType, Problem, ProblemError
from models.formats import Format

__all__ = ["explain_problems", "explain_validation", "label_for"]

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
# The thing an option names, whose absence is bad input rather than an unknown intervention.
_REFERENCES = {"meeting_id", "finding_id", "action_id"}


def _ordinal(index: int) -> str:
    return _ORDINALS[index] if index < len(_ORDINALS) else f"number {index + 1}"


def _find(
    loc: Sequence[str | int], options: Sequence[FieldOption]
) -> tuple[str, Format | None, FieldOption | None]:
    """The label of the option (and item key) `loc` points at, that value's format, and the
    option."""
    names = tuple(str(p) for p in loc if not isinstance(p, int))
    for option in options:
        if names[: len(option.path)] != option.path:
            continue
        label = option.flag
        rest = list(loc[len(option.path):])
        if option.multiple and rest and isinstance(rest[0], int):
            label = f"the {_ordinal(rest[0])} {option.flag}"
            rest = rest[1:]
        key = next((str(p) for p in rest if not isinstance(p, int)), None)
        if key is None:
            return label, option.format, option
        known = {k.name: k for k in option.keys}
        return f"{label}, {key}", known[key].format if key in known else None, option
    group = [o for o in options if o.path[: len(names)] == names and names]
    if group:  # a required group of options (e.g. the attendance counts), none given
        return " or ".join(o.flag for o in group), None, group[0]
    return ".".join(names) or "input", None, None


def label_for(field: str, options: Sequence[FieldOption]) -> str | None:
    """The option a lifecycle problem's field names, or None when no option holds it."""
    label, _, option = _find(field.split("."), options)
    return label if option is not None else None


def _rule(error: ErrorDetails, fmt: Format | None) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    wanted = f"give {fmt.help()}" if fmt else ""
    if kind == "missing":
        return f"required; {wanted}" if fmt else "required"
    if kind == "extra_forbidden":
        return "not an option of this command"
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") in (0, 1):
        return f"must not be empty; {wanted}" if fmt else "must not be empty"
    if kind == "too_short":
        return f"give at least {ctx.get('min_length')}"
    if kind == "too_long":
        return f"give at most {ctx.get('max_length')}"
    if kind == "string_too_long":
        return f"longer than {ctx.get('max_length')} characters"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if fmt is not None and not isinstance(value, dict | list):
        return f"{_shown(value)} is not {fmt.what}; e.g. {fmt.example}"
    return error["msg"][0].lower() + error["msg"][1:]


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def explain_validation(error: ValidationError, options: Sequence[FieldOption]) -> str:
    """One line: every broken rule, each after the option it belongs to."""
    parts = []
    for detail in error.errors():
        loc = detail["loc"]
        label, fmt, option = _find(loc, options)
        if detail["type"] == "extra_forbidden" and option is not None and option.keys:
            parent, _, _ = _find(loc[:-1], options)
            keys = ", ".join(k.name for k in option.keys)
            parts.append(f"{parent}: unknown key {str(loc[-1])!r}; keys: {keys}")
        else:
            parts.append(f"{label}: {_rule(detail, fmt)}")
    return "; ".join(parts)


def explain_problems(error: ProblemError, options: Sequence[FieldOption]) -> tuple[int, str]:
    """The exit code and the line for a refusal or a bad reference from the lifecycle."""
    code = exit_code_for(error.error_type)
    if error.error_type is ErrorType.UNKNOWN_REFERENCE and all(
            p.field in _REFERENCES for p in error.problems):
        code = EXIT_INVALID  # an option names no meeting, finding or action: bad input
    return code, "; ".join(_line(p, options) for p in error.problems)


def _line(problem: Problem, options: Sequence[FieldOption]) -> str:
    from cli.names import dashed_commands

    rule = dashed_commands(problem.rule)
    label = label_for(problem.field, options)
    return f"{label}: {rule}" if label is not None else rule
