"""A command's form as the page shows it: each field with its ID and name (`members-0-name`,
the model's location with dashes), its value as typed, and the errors found with it; and the
error summary, in the form's order, each linking to the field it is about.

Errors come from three places, all located by the model's path (`members.1.roles`): what could
not be read (a date), what the body model refuses, and what the lifecycle refuses (a
`models.errors.Problem`, whose rule is already a sentence; its codes are put in words,
`api.pages.hints.in_words`). One about a path the form has no field for is shown on the nearest
field that holds it (`members.1` on member 2's fieldset), or, naming none (`actor`,
`command`), in the summary alone, linking to the form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from api.pages.form_values import Raw, Values, count_name
from api.pages.forms import MAX_ITEMS, Choice, Control, FormField
from api.pages.hints import in_words
from models.errors import Problem

__all__ = ["FORM_ID", "Located", "Node", "bind", "from_problems", "from_validation", "summary"]

FORM_ID = "command-form"

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """One error and where it is in the model (`()`: the form as a whole)."""

    path: Path
    text: str


@dataclass
class Node:
    """One field of the form as shown."""

    field: FormField
    id: str
    label: str
    value: str = ""
    values: list[str] = dataclasses.field(default_factory=list)
    children: list[Node] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)
    # What the page shows of the field on this intervention: its hint, its choices (a
    # reference's are the intervention's items), the choice that names none (after an "or"),
    # and what it says instead of a choice when there is nothing to choose.
    hint: str = ""
    choices: tuple[Choice, ...] = ()
    or_none: Choice | None = None
    none_text: str = ""

    def __post_init__(self) -> None:
        self.hint = self.hint or self.field.hint
        self.choices = self.choices or self.field.choices

    @property
    def first_input(self) -> str:
        """Where a link to this field goes: its first input (the design system gives the
        first radio or checkbox the field's own ID)."""
        return self.children[0].first_input if self.children else self.id

    @property
    def error_html(self) -> Markup:
        return Markup("<br>").join(self.errors)

    @property
    def items(self) -> list[dict[str, str]]:
        """The choices, as the design system's radios and checkboxes take them."""
        items = [{"value": c.value, "text": c.text} for c in self.choices]
        if self.or_none is not None:
            items += [{"divider": "or"}, {"value": self.or_none.value, "text": self.or_none.text}]
        return items

    @property
    def options(self) -> list[dict[str, str]]:
        """The choices, as the design system's select takes them: first, the one chosen until
        another is (none, or a prompt to choose)."""
        first = (self.or_none.text if self.or_none is not None
                 else "None" if self.field.nullable else "Choose one")
        return [{"value": "", "text": first},
                *({"value": c.value, "text": c.text} for c in self.choices)]

    @property
    def count_name(self) -> str:
        return count_name(self.id)

    @property
    def can_add(self) -> bool:
        return len(self.children) < self.field.max_items

    @property
    def add_text(self) -> str:
        return f"Add another {self.field.item_label[:1].lower()}{self.field.item_label[1:]}"

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def _node(f: FormField, raw: Raw, at: str, label: str) -> Node:
    node = Node(f, at, label)
    if f.control is Control.GROUP:
        values = raw if isinstance(raw, dict) else {}
        node.children = [_node(c, values.get(c.name, ""), f"{at}-{c.name}", c.shown_label)
                         for c in f.fields]
    elif f.control is Control.REPEATED:
        items = raw if isinstance(raw, list) else []
        node.children = [_node(f.each, r, f"{at}-{i}", f"{f.item_label} {i + 1}")
                         for i, r in enumerate(items[:MAX_ITEMS])]
    elif f.control is Control.CHECKBOXES:
        node.values = [v for v in raw if isinstance(v, str)] if isinstance(raw, list) else []
    else:
        node.value = raw if isinstance(raw, str) else ""
    return node


def _path_id(path: Path) -> str:
    return "-".join(str(part) for part in path)


def bind(fields: tuple[FormField, ...], values: Values, errors: list[Located]) -> tuple[
        list[Node], list[str]]:
    """The form's fields with their values and errors, and the errors about no field."""
    nodes = [_node(f, values.get(f.name, ""), f.name, f.shown_label) for f in fields]
    by_id = {n.id: n for top in nodes for n in top.walk()}
    general: list[str] = []
    for error in errors:
        path = error.path
        while path and _path_id(path) not in by_id:
            path = path[:-1]
        shown = by_id[_path_id(path)].errors if path else general
        if error.text not in shown:
            shown.append(error.text)
    return nodes, general


def summary(nodes: list[Node], general: list[str]) -> list[dict[str, str]]:
    """The error summary's list: errors about no field first, then each field's in the form's
    order, linking to it."""
    items = [{"text": text, "href": f"#{FORM_ID}"} for text in general]
    for top in nodes:
        for node in top.walk():
            items += [{"text": text, "href": f"#{node.first_input}"} for text in node.errors]
    return items


# -- what an error says ------------------------------------------------------------------------


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _sentence(text: str) -> str:
    text = text.strip().removeprefix("Value error, ").rstrip(".")
    return text[:1].upper() + text[1:]


def _field_at(fields: tuple[FormField, ...], path: Path) -> tuple[FormField | None, str]:
    """The field at `path` (the deepest the form has), and which item holds it ("member 2")."""
    found: FormField | None = None
    within = ""
    options = fields
    for part in path:
        if found is not None and found.control is Control.REPEATED and isinstance(part, int):
            within = f"{_lower(found.item_label)} {part + 1}"
            found = found.each
            options = found.fields
            continue
        match = next((f for f in options if f.name == part), None)
        if match is None:
            break
        found, options = match, match.fields
    # An item that is itself the field ("Immediate mandatory requirement 1") needs no "for".
    return found, within if found is not None and found.name else ""


def _missing(f: FormField) -> str:
    the = _lower(f.label)
    if f.control is Control.CHECKBOXES:
        return f"Select at least one of the {the}"
    if f.control is Control.YES_NO:
        return f"Select yes or no for {the}"
    if f.control.asks_to_choose:
        return f"Select the {the}"
    if f.control is Control.REPEATED:
        return f"Fill in at least {max(f.min_items, 1)} {_lower(f.item_label)}"
    if f.control is Control.GROUP:
        return f"Fill in the {the}"
    return f"Enter the {the}"


_MISSING = {"missing", "string_too_short", "too_short"}
_MALFORMED = {"parse", "string_pattern_mismatch", "int_parsing", "int_from_float", "int_type",
              "greater_than_equal", "less_than_equal", "greater_than", "less_than",
              "date_from_datetime_parsing", "date_parsing", "date_type"}
_UNCHOSEN = {"enum", "literal_error", "bool_parsing", "bool_type"}


def _validation_text(f: FormField, error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _MISSING:
        return _missing(f)
    if kind == "too_long":
        return f"Give at most {ctx.get('max_length', f.max_items)} {_lower(f.label)}"
    if kind == "string_too_long":
        return f"{f.label} must be {ctx.get('max_length')} characters or fewer"
    if kind in _MALFORMED and f.what:
        return f"{f.label} must be {f.what}"
    if kind in _UNCHOSEN:
        return _missing(f)
    return f"{f.label}: {_lower(_sentence(str(error.get('msg', 'not accepted'))))}"


def from_validation(fields: tuple[FormField, ...],
                    errors: list[dict[str, Any]]) -> list[Located]:
    """pydantic's errors (and the form's own, shaped as they are), in a person's words."""
    located = []
    for error in errors:
        path: Path = tuple(error.get("loc", ()))
        f, within = _field_at(fields, path)
        if f is None:
            located.append(Located((), _sentence(str(error.get("msg", "")))))
            continue
        text = _validation_text(f, error)
        located.append(Located(path, f"{text} for {within}" if within else text))
    return located


def _parts(field_path: str) -> Path:
    return tuple(int(p) if p.isdigit() else p for p in field_path.split("."))


def from_problems(problems: list[Problem]) -> list[Located]:
    """What the lifecycle or the service refused, each rule as a sentence, where it points."""
    return [Located(_parts(p.field), _sentence(in_words(p.rule))) for p in problems]
