"""How a person types each kind of value, read off the contracts' types: the format, the
allowed values and an example for the help (the CLI's options and the pages' form hints alike),
and the parser that turns what was typed into what the contract takes.

A field of a kind not known here raises `UnknownFormat` when its option or form field is
generated, so a new field cannot ship without help (tests build every command's options and
forms). `Format` and `parse_date` load without pydantic: `qi` reads its options' formats from a
file generated from the contracts, and parses what people type with them.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

__all__ = ["Format", "UnknownFormat", "describe_field", "example_in", "format_of", "is_model",
           "parse_date", "unwrap"]

Parse = Callable[[str], Any]


class UnknownFormat(LookupError):
    """A contract field whose kind the service does not know how to explain to a person."""


@dataclass(frozen=True)
class Format:
    what: str  # "a date: YYYY-MM-DD, today, or DD/MM/YYYY (UK order)"
    example: str
    choices: tuple[str, ...] = ()
    parse: Parse | None = None  # None: pydantic takes the text as it is

    def help(self) -> str:
        return f"{self.what}, e.g. {self.example}"


# Patterns of `models.vocabulary`, in a coordinator's words (a regex is never shown).
_PATTERNS = {  # tried in order: a user name may hold an @ too
    "._@+-": ("a user name: letters, digits and . _ @ + - (up to 120)", "c.okafor"),
    "@": ("an e-mail address", "name@example.nhs.uk"),
    "_-]{0,39}": ("a code: letters, digits, _ and - (up to 40)", "RXX01"),
}

_ORDINAL_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else str
        else:
            return annotation


def is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def parse_date(text: str) -> str:
    """`2027-03-31`, `today` or `31/03/2027` -> `2027-03-31`; anything else -> ValueError."""
    text = text.strip()
    if text.casefold() == "today":
        return datetime.now(UTC).astimezone().date().isoformat()
    day_first = _ORDINAL_DATE.match(text)
    try:
        if day_first:
            day, month, year = (int(g) for g in day_first.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str) -> str:
    raise ValueError(f"{text!r} is not a date; give YYYY-MM-DD, today, or DD/MM/YYYY "
                     "(day first, as in the UK)")


def example_in(description: str | None) -> str | None:
    """The example a field's description gives (`... e.g. F1`), if any."""
    if not description or "e.g. " not in description:
        return None
    example = description.rsplit("e.g. ", 1)[1].rstrip(").").split(";")[0].strip()
    # A quoted text or one token; "e.g. an ODS code" explains, it is no example.
    return example if example.startswith('"') or " " not in example else None


def _metadata(info: FieldInfo | None, annotation: Any) -> list[Any]:
    found: list[Any] = list(info.metadata) if info else []
    for arg in typing.get_args(annotation):  # Annotated aliases keep theirs inside
        found += getattr(arg, "__metadata__", ())
    if typing.get_origin(annotation) is typing.Annotated:
        found += list(annotation.__metadata__)
    return found


def _constraint(meta: list[Any], name: str) -> Any:
    return next((getattr(m, name) for m in meta if getattr(m, name, None) is not None), None)


def _text(meta: list[Any], description: str | None) -> Format:
    pattern = _constraint(meta, "pattern")
    if pattern is not None:
        for marker, (what, example) in _PATTERNS.items():
            if marker in pattern:
                return Format(what, example_in(description) or example)
        raise UnknownFormat(f"no plain-English wording for the pattern {pattern!r}")
    longest = _constraint(meta, "max_length")
    limit = f" (up to {longest} characters)" if longest else ""
    if longest == 120:
        return Format(f"a person's name{limit}", example_in(description) or '"Dr Ada Senior"')
    return Format(f"text{limit}", example_in(description) or '"..."')


def _enum(kind: type[Enum]) -> Format:
    values = tuple(str(m.value) for m in kind)
    return Format("one of: " + ", ".join(values), values[0], values)


def format_of(annotation: Any, info: FieldInfo | None = None) -> Format:
    """The format of one scalar field (a list's item for lists); raises `UnknownFormat`."""
    kind = unwrap(annotation)
    description = info.description if info else None
    meta = _metadata(info, annotation)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum(kind)
    if kind is bool:
        return Format("yes or no", "yes")
    if kind is date:
        return Format("a date: YYYY-MM-DD, today, or DD/MM/YYYY (UK order)",
                      example_in(description) or "2027-03-31", parse=parse_date)
    if kind is int:
        low, high = _constraint(meta, "ge"), _constraint(meta, "le")
        if low is None or high is None:
            raise UnknownFormat("a whole number needs both bounds to be explained")
        return Format(f"a whole number from {low} to {high}", str(min(max(3, low), high)))
    if kind is str:
        return _text(meta, description)
    raise UnknownFormat(f"no format for {kind!r}")


def describe_field(info: FieldInfo) -> str:
    """The field's own description, as a sentence that ends before the format."""
    text = (info.description or "").strip()
    if example_in(text) is not None:
        text = text.rsplit("e.g. ", 1)[0].rstrip(" ,(;")
    return text.rstrip(".")
