"""What a command's form holds, as typed, and the payload made of it.

The values mirror the form's fields (`api.pages.forms`): text as typed for a scalar, the ticked
values of checkboxes, a dict for a group, a list for a repeated field. They are read from a
post by the fields' names alone (`members-0-name`), so a name the form does not have is never
read, and they go back into the form as typed when it is shown again.

A repeated field posts how many items it showed (`members-count`); items left blank (every
text empty, every choice as the form first showed it) are ignored, before the payload is made
and when the form is shown again, so a problem's position (`members.1.roles`) is the item's
position on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from api.pages.forms import Control, FormField

__all__ = [
    "Raw",
    "Values",
    "blank",
    "compact",
    "count_name",
    "padded",
    "payload",
    "read",
    "with_another",
]

Raw = str | list["Raw"] | dict[str, "Raw"]
Values = dict[str, Raw]
_MISSING = object()  # a blank field whose model has a default: left out of the payload


def _dict(raw: Raw) -> dict[str, Raw]:
    return raw if isinstance(raw, dict) else {}


def _list(raw: Raw) -> list[Raw]:
    return raw if isinstance(raw, list) else []


def _str(raw: Raw) -> str:
    return raw if isinstance(raw, str) else ""


def count_name(at: str) -> str:
    """The name of the hidden input that says how many items the repeated field `at` shows."""
    return f"{at}-count"


def _at(prefix: str, name: str | int) -> str:
    return f"{prefix}-{name}" if prefix else str(name)


def _blank(field: FormField) -> Raw:
    if field.control is Control.GROUP:
        return {f.name: _blank(f) for f in field.fields}
    if field.control is Control.REPEATED:
        return [_blank(field.each) for _ in range(field.blank_items)]
    if field.control is Control.CHECKBOXES:
        return list(field.default)
    return str(field.default)


def blank(fields: tuple[FormField, ...]) -> Values:
    """The values of a form not yet filled in: defaults, and a few blank items."""
    return {f.name: _blank(f) for f in fields}


def _count(posted: ImmutableMultiDict[str, Any], at: str, most: int) -> int:
    text = posted.get(count_name(at))
    number = int(text) if isinstance(text, str) and text.isdigit() and len(text) < 4 else 0
    return min(number, most)


def _read(field: FormField, posted: ImmutableMultiDict[str, Any], at: str) -> Raw:
    if field.control is Control.GROUP:
        return {f.name: _read(f, posted, _at(at, f.name)) for f in field.fields}
    if field.control is Control.REPEATED:
        return [_read(field.each, posted, _at(at, i))
                for i in range(_count(posted, at, field.max_items))]
    if field.control is Control.CHECKBOXES:
        return [v for v in posted.getlist(at) if isinstance(v, str)]
    value = posted.get(at)
    return value if isinstance(value, str) else ""


def read(fields: tuple[FormField, ...], posted: ImmutableMultiDict[str, Any]) -> Values:
    """The form's values from a post (only the names the form has)."""
    return {f.name: _read(f, posted, f.name) for f in fields}


def _is_blank(field: FormField, raw: Raw) -> bool:
    if field.control is Control.GROUP:
        return all(_is_blank(f, _dict(raw).get(f.name, "")) for f in field.fields)
    if field.control is Control.REPEATED:
        return all(_is_blank(field.each, r) for r in _list(raw))
    if field.control is Control.CHECKBOXES:
        return not raw or raw == list(field.default)
    return _str(raw).strip() in ("", field.default)


def _each(fields: tuple[FormField, ...], values: Mapping[str, Raw],
          change: Callable[[FormField, Raw], Raw]) -> Values:
    return {f.name: change(f, values.get(f.name, _blank(f))) for f in fields}


def _compact(field: FormField, raw: Raw) -> Raw:
    if field.control is Control.GROUP:
        return _each(field.fields, _dict(raw), _compact)
    if field.control is Control.REPEATED:
        item = field.each
        return [_compact(item, r) for r in _list(raw) if not _is_blank(item, r)]
    return raw


def compact(fields: tuple[FormField, ...], values: Values) -> Values:
    """The values without blank items."""
    return _each(fields, values, _compact)


def _padded(field: FormField, raw: Raw) -> Raw:
    if field.control is Control.GROUP:
        return _each(field.fields, _dict(raw), _padded)
    if field.control is Control.REPEATED:
        items = _list(raw)
        more = max(field.blank_items - len(items), 0)
        return [*(_padded(field.each, r) for r in items),
                *(_blank(field.each) for _ in range(more))]
    return raw


def padded(fields: tuple[FormField, ...], values: Values) -> Values:
    """The values with blank items after the filled ones, up to the few a blank form shows."""
    return _each(fields, values, _padded)


def _another(field: FormField, raw: Raw, at: str, target: str) -> tuple[Raw, bool]:
    if field.control is Control.GROUP:
        found = False
        changed: dict[str, Raw] = {}
        for f in field.fields:
            changed[f.name], hit = _another(f, _dict(raw).get(f.name, _blank(f)),
                                            _at(at, f.name), target)
            found = found or hit
        return changed, found
    if field.control is Control.REPEATED:
        items = _list(raw)
        if at == target:
            if len(items) >= field.max_items:
                return items, False
            return [*items, _blank(field.each)], True
        done = [_another(field.each, r, _at(at, i), target) for i, r in enumerate(items)]
        return [r for r, _ in done], any(hit for _, hit in done)
    return raw, False


def with_another(fields: tuple[FormField, ...], values: Values, target: str) -> Values | None:
    """The values with one more blank item in the repeated field named `target`; None when
    the form has no such field or it holds as many items as it may."""
    group = FormField("", "", Control.GROUP, fields=fields)
    changed, found = _another(group, values, "", target)
    return _dict(changed) if found else None


def _error(loc: tuple[str | int, ...], kind: str, message: str) -> dict[str, Any]:
    return {"loc": loc, "type": kind, "msg": message, "ctx": {}}


def _value(field: FormField, raw: Raw, loc: tuple[str | int, ...],
           errors: list[dict[str, Any]]) -> Any:
    if field.control is Control.GROUP:
        if field.nullable and _is_blank(field, raw):
            return None
        values = {f.name: _value(f, _dict(raw).get(f.name, ""), (*loc, f.name), errors)
                  for f in field.fields}
        return {name: v for name, v in values.items() if v is not _MISSING}
    if field.control is Control.REPEATED:
        return [_value(field.each, r, (*loc, i), errors) for i, r in enumerate(_list(raw))]
    if field.control is Control.CHECKBOXES:
        return [_str(v) for v in _list(raw)]
    text = _str(raw).strip()
    if not text:  # None only where the model asks for it, else its default
        return None if field.nullable and not field.optional else _MISSING
    if field.control is Control.YES_NO:
        return {"yes": True, "no": False}.get(text, text)
    if field.parse is not None:
        try:
            return field.parse(text)
        except ValueError as error:
            errors.append(_error(loc, "parse", str(error)))
            return _MISSING
    return text


def payload(fields: tuple[FormField, ...],
            values: Values) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The payload of the (compacted) values, for the body model to validate, and what could
    not be read (as pydantic's errors are: `loc`, `type`, `msg`)."""
    errors: list[dict[str, Any]] = []
    group = FormField("", "", Control.GROUP, fields=fields)
    made = _value(group, values, (), errors)
    return _dict(made), errors
