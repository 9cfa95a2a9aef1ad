"""Errors in a coordinator's words: the option to fix, the rule, the allowed values.

The service checks what `qi` sent and answers with problems, each a field path
(`members.1.roles.0`) and a rule. The paths become the options a person typed (`the second
--members, roles`, `--held-on`); a mistake in a value, reported in pydantic's words, becomes
the format the option's help gives, with the value that was sent, never a regex or a JSON path.
The lifecycle's own rules are kept as they are, with commands spelled as `qi` spells them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cli.exit_codes import EXIT_INVALID, exit_code_for
from cli.names import dashed_commands
from cli.options import FieldOption
from models.formats import Format

if TYPE_CHECKING:
    from models.errors import Problem, ProblemError

__all__ = ["explain_problems", "label_for"]

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
# The thing an option names, whose absence is bad input rather than an unknown intervention.
_REFERENCES = {"meeting_id", "finding_id", "action_id"}

# The service validates with pydantic and passes its messages on as the rules. These are the
# kinds of mistake worded here again; any other rule is the service's own, and kept.
_KINDS = (
    (re.compile(r"Field required"), "missing"),
    (re.compile(r"Extra inputs are not permitted"), "extra_forbidden"),
    (re.compile(r"String should have at least (\d+) characters?"), "string_too_short"),
    (re.compile(r"String should have at most (\d+) characters?"), "string_too_long"),
    (re.compile(r"\w+ should have at least (\d+) items? after validation.*"), "too_short"),
    (re.compile(r"\w+ should have at most (\d+) items? after validation.*"), "too_long"),
    (re.compile(r"Value error, (.*)", re.S), "value_error"),
    (re.compile(r"(?:Input should|String should match) .*", re.S), "value"),
)
_LIMITED = {"string_too_short", "too_short", "string_too_long", "too_long"}


@dataclass(frozen=True)
class _Mistake:
    """A value the service refused: where, the kind of mistake, what was sent there."""

    kind: str
    loc: list[str | int]
    msg: str
    sent: tuple[Any, ...]  # () when nothing was sent there, else (the value,)
    limit: int | None = None  # of a length, for the kinds in _LIMITED
    error: str = ""  # a contract's own rule, for a value_error


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
    """The option a problem's field names, or None when no option holds it."""
    label, _, option = _find(_location(field), options)
    return label if option is not None else None


def _location(field: str) -> list[str | int]:
    """`members.1.roles` -> ["members", 1, "roles"]."""
    return [int(part) if part.isdigit() else part for part in field.split(".")]


def _sent_at(loc: Sequence[str | int], sent: Any) -> tuple[Any, ...]:
    value = sent
    for part in loc:
        if isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return ()
    return (value,)


def _mistake(problem: Problem, sent: Any) -> _Mistake | None:
    """The problem as a mistake in a value `qi` sent; None for a rule of the service's own."""
    for pattern, kind in _KINDS:
        matched = pattern.fullmatch(problem.rule.strip())
        if matched is None:
            continue
        loc = _location(problem.field)
        return _Mistake(kind, loc, problem.rule.strip(), _sent_at(loc, sent),
                        limit=int(matched[1]) if kind in _LIMITED else None,
                        error=matched[1] if kind == "value_error" else "")
    return None


def _rule(mistake: _Mistake, fmt: Format | None) -> str:
    kind, limit = mistake.kind, mistake.limit
    wanted = f"give {fmt.help()}" if fmt else ""
    if kind == "missing":
        return f"required; {wanted}" if fmt else "required"
    if kind == "extra_forbidden":
        return "not an option of this command"
    if kind in ("string_too_short", "too_short") and limit in (0, 1):
        return f"must not be empty; {wanted}" if fmt else "must not be empty"
    if kind == "too_short":
        return f"give at least {limit}"
    if kind == "too_long":
        return f"give at most {limit}"
    if kind == "string_too_long":
        return f"longer than {limit} characters"
    if kind == "value_error":
        return dashed_commands(mistake.error)
    if fmt is not None and mistake.sent and not isinstance(mistake.sent[0], dict | list):
        return f"{_shown(mistake.sent[0])} is not {fmt.what}; e.g. {fmt.example}"
    return mistake.msg[0].lower() + mistake.msg[1:]


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _worded(mistake: _Mistake, options: Sequence[FieldOption]) -> str:
    loc = mistake.loc
    label, fmt, option = _find(loc, options)
    if mistake.kind == "extra_forbidden" and option is not None and option.keys:
        parent, _, _ = _find(loc[:-1], options)
        keys = ", ".join(k.name for k in option.keys)
        return f"{parent}: unknown key {str(loc[-1])!r}; keys: {keys}"
    return f"{label}: {_rule(mistake, fmt)}"


def explain_problems(
    error: ProblemError, options: Sequence[FieldOption], sent: Any = None
) -> tuple[int, str]:
    """The exit code and the one line for what the service refused; `sent` is the payload
    `qi` sent, whose values a mistake quotes."""
    from models.errors import ErrorType

    code = exit_code_for(error.error_type)
    if error.error_type is ErrorType.UNKNOWN_REFERENCE and all(
            p.field in _REFERENCES for p in error.problems):
        code = EXIT_INVALID  # an option names no meeting, finding or action: bad input
    invalid = error.error_type is ErrorType.INVALID_INPUT
    return code, "; ".join(_line(p, options, sent, invalid) for p in error.problems)


def _line(problem: Problem, options: Sequence[FieldOption], sent: Any, invalid: bool) -> str:
    mistake = _mistake(problem, sent) if invalid else None
    # Worded again only where an option holds the value (or one sent that none has).
    if mistake is not None and (_find(mistake.loc, options)[2] is not None
                                or mistake.kind == "extra_forbidden"):
        return _worded(mistake, options)
    rule = dashed_commands(problem.rule)
    label = label_for(problem.field, options)
    return f"{label}: {rule}" if label is not None else rule
