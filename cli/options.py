"""Command-line options generated from the pydantic contracts, so the CLI never restates them.

Scalars become `--field` options, nested models are flattened (`--provider-code`), lists repeat
the option (lists of fixed values also take `a,b`); a list of models takes one item per option
as `key=value; key=value`, where a list inside takes `a,b` or `a+b`. Each option's help says
the format, the allowed values and an example (`models.formats`); dates are typed as people type
them and handed on as YYYY-MM-DD. Everything else stays text: pydantic validates it, and
`cli.problems` names the option when it fails.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from models.formats import Format, describe_field, format_of, is_model, unwrap

__all__ = ["FieldOption", "InputError", "ItemKey", "assemble", "example_line", "field_options",
           "parse_item"]


class InputError(ValueError):
    """What was typed cannot be read; the message names the option."""


def _listy(annotation: Any) -> bool:
    return typing.get_origin(unwrap(annotation)) in (list, tuple)


def _item_of(annotation: Any) -> Any:
    return typing.get_args(unwrap(annotation))[0]


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default is None or info.default_factory is not None:
        return "optional"
    value = getattr(info.default, "value", info.default)
    return f"default {'no' if value is False else value}"


@dataclass(frozen=True)
class ItemKey:
    """One `key=value` of an item option (a panel member's `roles=...`)."""

    name: str
    format: Format
    listy: bool
    presence: str  # "required", "optional", "default none"

    def help(self) -> str:
        if self.listy:
            what = self.format.what.replace("one of:", "one or more of:")
            return f"{self.name} ({self.presence}): {what}, separated by , or +"
        return f"{self.name} ({self.presence}): {self.format.what}"

    def example(self) -> str:
        if self.listy and len(self.format.choices) > 1:
            return ",".join(self.format.choices[:2])
        return self.format.example.strip('"')


@dataclass(frozen=True)
class FieldOption:
    path: tuple[str, ...]
    multiple: bool
    item_model: type[BaseModel] | None
    is_flag: bool
    format: Format
    presence: str
    description: str = ""
    keys: tuple[ItemKey, ...] = field(default=())
    in_example: bool = False

    @property
    def flag(self) -> str:
        return "--" + "-".join(self.path).replace("_", "-")

    @property
    def dest(self) -> str:
        return "__".join(self.path)

    @property
    def help(self) -> str:
        lead = f"{self.description}. " if self.description else ""
        if self.item_model is not None:
            keys = "; ".join(k.help() for k in self.keys)
            return (f"{lead}{self.presence.capitalize()}; repeat the option, one item each, as "
                    "key=value pairs separated by "
                    f"';'. Keys: {keys}; e.g. {self.example()}")
        if self.is_flag:
            return f"{lead}A flag ({self.presence})."
        if self.multiple:
            more = ("repeat the option or separate with commas" if self.format.choices
                    else "repeat the option for each")
            return f"{lead}{self.presence.capitalize()}; {more}. Each: {self.format.help()}"
        return f"{lead}{self.presence.capitalize()}: {self.format.help()}"

    def example(self) -> str:
        if self.is_flag:
            return self.flag
        if self.item_model is not None:
            pairs = "; ".join(f"{k.name}={k.example()}" for k in self.keys)
            return f'{self.flag} "{pairs}"'
        return f"{self.flag} {self.format.example}"

    def click_option(self) -> click.Option:
        if self.is_flag:
            if self.presence == "required":  # only `--final` makes sense: offer only that
                return click.Option([self.flag, self.dest], is_flag=True, default=None,
                                    help=self.help)
            no = "--no-" + self.flag.removeprefix("--")
            return click.Option([f"{self.flag}/{no}", self.dest], default=None, help=self.help)
        return click.Option([self.flag, self.dest], multiple=self.multiple, help=self.help,
                            metavar=self._metavar())

    def _metavar(self) -> str:
        if self.item_model is not None:
            return "KEY=VALUE;..."
        if self.format.parse is not None:
            return "DATE"
        return "CHOICE" if self.format.choices else "TEXT"

    def parse(self, value: str) -> Any:
        if self.item_model is not None:
            return parse_item(value, self)
        if self.format.parse is None:
            return value
        try:
            return self.format.parse(value)
        except ValueError as error:
            raise InputError(f"{self.flag}: {error}") from None


def _item_keys(model: type[BaseModel]) -> tuple[ItemKey, ...]:
    keys = []
    for name, info in model.model_fields.items():
        listy = _listy(info.annotation)
        fmt = format_of(_item_of(info.annotation), None) if listy else format_of(
            info.annotation, info)
        keys.append(ItemKey(name, fmt, listy, _default(info)))
    return tuple(keys)


# Examples for text fields of the shared value types, whose descriptions give none.
_EXAMPLES = {
    ("provider", "name"): '"Northshire Hospitals NHS Trust"',
    ("provider", "site"): '"Northshire General, Emergency Department"',
    ("provider", "lead_email"): "dme@northshire.example.nhs.uk",
    ("concern", "summary"): '"Supervision gaps reported on night shifts"',
    ("concern", "override_justification"): '"Repeated reports from two sources"',
}


def _leaf(path: tuple[str, ...], info: FieldInfo, parent_required: bool) -> FieldOption:
    annotation = unwrap(info.annotation)
    presence = _default(info)
    # Shown in the worked example: what must be given, and the values of a required group.
    in_example = presence == "required" or (
        parent_required and info.default_factory is None and info.default is not None)
    description = describe_field(info)
    if typing.get_origin(annotation) in (list, tuple):
        item = unwrap(_item_of(annotation))
        if is_model(item):
            keys = _item_keys(item)
            return FieldOption(path, True, item, False, keys[0].format, presence, description,
                               keys, in_example=True)
        return FieldOption(path, True, None, False, format_of(_item_of(annotation), None),
                           presence, description, in_example=in_example)
    fmt = format_of(info.annotation, info)
    if path in _EXAMPLES:
        fmt = replace(fmt, example=_EXAMPLES[path])
    return FieldOption(path, False, None, annotation is bool, fmt, presence, description,
                       in_example=in_example)


def field_options(
    model: type[BaseModel], prefix: tuple[str, ...] = (), skip: frozenset[str] = frozenset(),
    *, parent_required: bool = True,
) -> list[FieldOption]:
    options: list[FieldOption] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        path = (*prefix, name)
        annotation = unwrap(info.annotation)
        if is_model(annotation):
            options += field_options(annotation, path, parent_required=info.is_required())
        else:
            options.append(_leaf(path, info, parent_required))
    return options


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("+", ",").split(",") if v.strip()]


def parse_item(text: str, option: FieldOption) -> dict[str, Any]:
    """`name=Dr A; roles=a,b` -> {"name": "Dr A", "roles": ["a", "b"]}."""
    keys = {k.name: k for k in option.keys}
    item: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = part.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise InputError(f"{option.flag}: expected key=value, got {part!r}; keys: "
                             + ", ".join(keys))
        key = keys.get(name)
        if key is None:
            item[name] = value.strip()  # pydantic names the unknown key, with the known ones
        elif key.listy:
            item[name] = _split(value)
        elif key.format.parse is not None:
            try:
                item[name] = key.format.parse(value)
            except ValueError as error:
                raise InputError(f"{option.flag} {name}: {error}") from None
        else:
            item[name] = value.strip()
    return item


def _load_data(data: str | None) -> dict[str, Any]:
    if not data:
        return {}
    text = Path(data[1:]).read_text(encoding="utf-8") if data.startswith("@") else data
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--data: not valid JSON ({exc})") from None
    if not isinstance(loaded, dict):
        raise InputError("--data: must be a JSON object")
    return loaded


def _values(option: FieldOption, value: Any) -> Any:
    if not option.multiple:
        return option.parse(value) if isinstance(value, str) else value
    parsed: list[Any] = []
    for one in value:
        if option.item_model is None and option.format.choices:
            parsed += _split(one)
        else:
            parsed.append(option.parse(one))
    return parsed


def assemble(
    options: list[FieldOption], values: dict[str, Any], data: str | None
) -> dict[str, Any]:
    """The payload: `--data` JSON first, then every option the user gave on top of it."""
    payload = _load_data(data)
    for option in options:
        value = values.get(option.dest)
        if value is None or (option.multiple and not value):
            continue
        target = payload
        for key in option.path[:-1]:
            target = target.setdefault(key, {})
        target[option.path[-1]] = _values(option, value)
    return payload


def example_line(command: str, options: list[FieldOption], argument: str | None) -> str:
    """A worked example of `command`, one option a line, for the end of its help."""
    parts = [f"qi {command}" + (f" {argument}" if argument else "")]
    parts += [o.example() for o in options if o.in_example]
    return " \\\n    ".join(parts)
