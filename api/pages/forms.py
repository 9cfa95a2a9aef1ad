"""Each lifecycle command's form, generated from the body model a client sends
(`models.bodies.COMMAND_BODIES`), so a page never restates a contract.

Every field gets a label in words, a hint from the contract's description (in the page's words
where the CLI's speak of the CLI: `api.pages.hints`) and how to type its value
(`models.formats`), and the design system's component for its kind: choices are radios (a
select when there are many, or when none may be chosen), a yes/no is two radios, a list of
choices is checkboxes, a date is typed (YYYY-MM-DD, today, or DD/MM/YYYY), a bounded whole
number is a numeric text input, long text a textarea, a nested model a fieldset, and a list (of
models or of text) is repeated fieldsets with "Add another". A field that names an item of the
intervention (`REFERENCES`: a meeting, a finding, an action) is a choice among the
intervention's own items, which the page fills in (`api.pages.references`). A field of a kind
with no component raises `UnknownFormat`, so a new field cannot ship without a form (a test
builds every command's).

Who sends a command is never a field: the body models hold no identity, and names the page
itself posts (`RESERVED`) may not be field names.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from typing import Any, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from api.pages.hints import field_hint
from api.pages.rendering import words
from models.bodies import COMMAND_BODIES
from models.commands import Command, Event
from models.formats import Format, UnknownFormat, describe_field, format_of, is_model, unwrap

__all__ = [
    "MAX_ITEMS",
    "REFERENCES",
    "RESERVED",
    "Choice",
    "CommandForm",
    "Control",
    "FormField",
    "Refers",
    "command_form",
    "form_fields",
]

# Names the page posts beside the fields: its CSRF token, its one-time key, "Add another".
RESERVED = frozenset({"csrf_token", "form_key", "add"})
# The most items a repeated field takes from one post, whatever its model allows.
MAX_ITEMS = 100
# Blank items a repeated field shows at first: a few panel members or findings, one text.
_BLANK_MODELS, _BLANK_TEXTS = 3, 1
# More choices than this, and radios become a select.
_MAX_RADIOS = 6
# Text that may be longer than this is typed in a textarea.
_ONE_LINE = 500


class Control(StrEnum):
    """The design system's component a field is shown with."""

    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    DATE = "date"
    RADIOS = "radios"
    SELECT = "select"
    YES_NO = "yes_no"
    CHECKBOXES = "checkboxes"
    GROUP = "group"  # a nested model: a fieldset of its fields
    REPEATED = "repeated"  # a list: one fieldset (or input) per item
    REFERENCE = "reference"  # an item of the intervention: its choices come with the page

    @property
    def asks_to_choose(self) -> bool:
        return self in (Control.RADIOS, Control.SELECT, Control.YES_NO, Control.CHECKBOXES,
                        Control.REFERENCE)


class Refers(StrEnum):
    """The kind of item of the intervention a field names."""

    meeting = "meeting"
    finding = "finding"
    action = "action"


# Fields that name an item of the intervention, by name (a test holds every `*_id` to this).
REFERENCES = {"meeting_id": Refers.meeting, "finding_id": Refers.finding,
              "action_id": Refers.action}


@dataclass(frozen=True)
class Choice:
    value: str
    text: str


@dataclass(frozen=True)
class FormField:
    """One field of a form, named as the model names it."""

    name: str
    label: str
    control: Control
    hint: str = ""
    optional: bool = False  # may be left blank, with nothing implied: "(optional)"
    nullable: bool = False  # left blank, it is sent as None (else it is left out)
    default: str | tuple[str, ...] = ""  # what a blank form shows
    choices: tuple[Choice, ...] = ()
    what: str = ""  # the format in words, for what an error says
    parse: typing.Callable[[str], Any] | None = None
    fields: tuple[FormField, ...] = ()  # a group's
    item: FormField | None = None  # a repeated field's
    item_label: str = ""  # "Member", as in "Member 2"
    min_items: int = 0
    max_items: int = MAX_ITEMS
    blank_items: int = 0
    refers: Refers | None = None  # a reference's kind of item

    @property
    def each(self) -> FormField:
        """A repeated field's item."""
        if self.item is None:
            raise TypeError(f"{self.name} is not a repeated field")
        return self.item

    @property
    def shown_label(self) -> str:
        return f"{self.label} (optional)" if self.optional else self.label


@dataclass(frozen=True)
class CommandForm:
    event: Event
    model: type[BaseModel]
    fields: tuple[FormField, ...]

    @property
    def summary(self) -> str:
        return (self.model.__doc__ or "").strip()


def _label(name: str) -> str:
    """`held_on` -> `Date held`, `meeting_id` -> `Meeting`, `owner_email` -> `Owner email`."""
    if name in REFERENCES:
        return words(REFERENCES[name])
    parts = name.split("_")
    if parts[-1] == "on" and len(parts) > 1:
        parts = ["date", *parts[:-1]]
    if parts[-1] == "id" and len(parts) > 1:
        parts[-1] = "ID"
    return words(" ".join(parts))


def _singular(label: str) -> str:
    return label[:-1] if label.endswith("s") and not label.endswith("ss") else label


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _hint(description: str, fmt: Format, control: Control) -> str:
    """The description, then how to type the value, as the CLI's help words them."""
    parts = [_sentence(description)]
    if not control.asks_to_choose:
        if fmt.what.startswith("text"):  # "text (up to 200 characters)", or "text"
            parts.append(_sentence(fmt.what.removeprefix("text").strip().strip("()")))
        else:
            parts.append(_sentence(fmt.what))
        example = fmt.example.strip('"')
        if example and example != "...":
            parts.append(f"For example, {example}")
    return " ".join(p for p in parts if p)


def _metadata(annotation: Any, info: FieldInfo | None) -> list[Any]:
    found: list[Any] = list(info.metadata) if info else []
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Annotated:
            found += list(arg.__metadata__)
    return found


def _max_length(annotation: Any, info: FieldInfo | None) -> int | None:
    return next((m.max_length for m in _metadata(annotation, info)
                 if getattr(m, "max_length", None) is not None), None)


def _nullable(annotation: Any) -> bool:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in (
        typing.get_args(annotation))


def _default(info: FieldInfo | None) -> str:
    if info is None or info.is_required() or info.default is None:
        return ""
    value = getattr(info.default, "value", info.default)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if isinstance(value, (str, int)) else ""


def _described(name: str, info: FieldInfo | None) -> str:
    return field_hint(name, describe_field(info)) if info else ""


def _scalar(name: str, label: str, annotation: Any, info: FieldInfo | None) -> FormField:
    fmt = format_of(annotation, info)  # raises UnknownFormat for a kind it cannot explain
    kind = unwrap(annotation)
    nullable = _nullable(annotation)
    control = (Control.REFERENCE if name in REFERENCES else
               _control(kind, fmt, nullable, _max_length(annotation, info)))
    optional = (info is not None and not info.is_required() and info.default is None
                and control is not Control.YES_NO)
    choices = (Choice("yes", "Yes"), Choice("no", "No")) if control is Control.YES_NO else (
        tuple(Choice(value, words(value)) for value in fmt.choices))
    return FormField(
        name, label, control, hint=_hint(_described(name, info), fmt, control),
        optional=optional, nullable=nullable, default=_default(info), choices=choices,
        what="" if control is Control.REFERENCE else fmt.what, parse=fmt.parse,
        refers=REFERENCES.get(name),
    )


def _control(kind: Any, fmt: Format, nullable: bool, longest: int | None) -> Control:
    if kind is bool:
        return Control.YES_NO
    if isinstance(kind, type) and issubclass(kind, Enum):
        return Control.SELECT if nullable or len(fmt.choices) > _MAX_RADIOS else Control.RADIOS
    if kind is date:
        return Control.DATE
    if kind is int:
        return Control.NUMBER
    return Control.TEXTAREA if longest is not None and longest > _ONE_LINE else Control.TEXT


def _listed(name: str, label: str, annotation: Any, info: FieldInfo | None) -> FormField:
    kind = unwrap(annotation)
    args = typing.get_args(kind)
    if typing.get_origin(kind) is tuple and (len(args) != 2 or args[1] is not Ellipsis):
        raise UnknownFormat(f"{name}: a fixed-length tuple has no form")
    item = unwrap(args[0])
    own = list(info.metadata) if info else []  # not the items' own lengths
    low = next((m.min_length for m in own if getattr(m, "min_length", None) is not None), 0)
    high = min(next((m.max_length for m in own if getattr(m, "max_length", None) is not None),
                    MAX_ITEMS), MAX_ITEMS)
    if isinstance(item, type) and issubclass(item, Enum):
        fmt = format_of(args[0])
        return FormField(name, label, Control.CHECKBOXES,
                         hint=_hint(_described(name, info), fmt, Control.CHECKBOXES),
                         choices=tuple(Choice(v, words(v)) for v in fmt.choices),
                         what=fmt.what, min_items=low)
    one = _singular(label)
    each = (_group("", one, item, None) if is_model(item) else _scalar("", one, args[0], None))
    blank = _BLANK_MODELS if is_model(item) else _BLANK_TEXTS
    return FormField(name, label, Control.REPEATED,
                     hint=_sentence(_described(name, info)), item=each,
                     item_label=one, min_items=low, max_items=high,
                     blank_items=min(max(blank, low), high))


def _group(name: str, label: str, model: type[BaseModel], info: FieldInfo | None) -> FormField:
    return FormField(name, label, Control.GROUP,
                     hint=_sentence(_described(name, info)),
                     nullable=info is not None and not info.is_required(),
                     fields=form_fields(model))


def _field(name: str, info: FieldInfo) -> FormField:
    annotation = info.annotation
    kind = unwrap(annotation)
    label = _label(name)
    if typing.get_origin(kind) in (list, tuple):
        return _listed(name, label, annotation, info)
    if is_model(kind):
        return _group(name, label, kind, info)
    if typing.get_origin(kind) is not None:
        raise UnknownFormat(f"{name}: no form for {kind!r}")
    return _scalar(name, label, annotation, info)


def form_fields(model: type[BaseModel]) -> tuple[FormField, ...]:
    """The fields of `model`'s form, in the model's order; raises `UnknownFormat` for a field
    of a kind no component shows."""
    reserved = RESERVED & set(model.model_fields)
    if reserved:
        raise UnknownFormat(f"{model.__name__}: {sorted(reserved)} name what a page posts")
    return tuple(_field(name, info) for name, info in model.model_fields.items())


@functools.cache
def command_form(event: Event) -> CommandForm:
    """The form of `event`: the command's own fields first, then those every command has (why
    it is sent)."""
    model = COMMAND_BODIES[event]
    common = set(Command.model_fields)
    fields = form_fields(model)
    return CommandForm(event, model, (*[f for f in fields if f.name not in common],
                                      *[f for f in fields if f.name in common]))
