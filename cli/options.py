"""The options of `qi start` and of each lifecycle command, as `cli/options.json` describes them,
and how what people type becomes the payload sent to the service.

The file is generated from the contracts (`python -m cli.describe`; a test fails when it is
stale), so a command's path loads no model: only this description, click and the HTTP client.
Scalars are `--field` options, nested models flattened (`--provider-code`), lists repeat the
option (lists of fixed values also take `a,b`); a list of models takes one item per option as
`key=value; key=value`, where a list inside takes `a,b` or `a+b`. Each option's help says the
format, the allowed values and an example; dates are typed as people type them and sent as
YYYY-MM-DD. Everything else is sent as typed: the service validates it, and `cli.problems`
names the option when it refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import click

from models.formats import Format, parse_date

__all__ = ["DESCRIPTION", "FieldOption", "InputError", "ItemKey", "assemble", "command_help",
           "command_options", "example_line", "format_from_json", "format_to_json",
           "parse_item", "start_options"]

DESCRIPTION = Path(__file__).with_name("options.json")

# How a kind of value is read from what was typed, by the name the description gives it.
_PARSERS: dict[str, Callable[[str], Any]] = {"date": parse_date}


class InputError(ValueError):
    """What was typed cannot be read; the message names the option."""


def format_to_json(fmt: Format) -> dict[str, Any]:
    parse = next((name for name, how in _PARSERS.items() if how is fmt.parse), None)
    if fmt.parse is not None and parse is None:
        raise LookupError(f"no name for the parser of {fmt.what!r}: add it to _PARSERS")
    return {"what": fmt.what, "example": fmt.example, "choices": list(fmt.choices),
            "parse": parse}


def format_from_json(data: dict[str, Any]) -> Format:
    parse = data["parse"]
    return Format(data["what"], data["example"], tuple(data["choices"]),
                  _PARSERS[parse] if parse else None)


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

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "format": format_to_json(self.format), "listy": self.listy,
                "presence": self.presence}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemKey:
        return cls(data["name"], format_from_json(data["format"]), data["listy"],
                   data["presence"])


@dataclass(frozen=True)
class FieldOption:
    """One option: where its value goes in the payload (`path`), how it is typed and
    explained. An option with `keys` takes items (`--members "name=...; roles=..."`)."""

    path: tuple[str, ...]
    flag: str
    multiple: bool
    is_flag: bool
    format: Format
    presence: str
    description: str = ""
    keys: tuple[ItemKey, ...] = field(default=())
    in_example: bool = False

    @property
    def takes_items(self) -> bool:
        return bool(self.keys)

    @property
    def dest(self) -> str:
        return "__".join(self.path)

    @property
    def help(self) -> str:
        lead = f"{self.description}. " if self.description else ""
        if self.takes_items:
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
        if self.takes_items:
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
        if self.takes_items:
            return "KEY=VALUE;..."
        if self.format.parse is not None:
            return "DATE"
        return "CHOICE" if self.format.choices else "TEXT"

    def parse(self, value: str) -> Any:
        if self.takes_items:
            return parse_item(value, self)
        if self.format.parse is None:
            return value
        try:
            return self.format.parse(value)
        except ValueError as error:
            raise InputError(f"{self.flag}: {error}") from None

    def to_json(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "flag": self.flag, "path": list(self.path), "multiple": self.multiple,
            "is_flag": self.is_flag, "presence": self.presence,
            "description": self.description, "format": format_to_json(self.format),
            "in_example": self.in_example}
        if self.keys:
            described["keys"] = [k.to_json() for k in self.keys]
        return described

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldOption:
        return cls(tuple(data["path"]), data["flag"], data["multiple"], data["is_flag"],
                   format_from_json(data["format"]), data["presence"], data["description"],
                   tuple(ItemKey.from_json(k) for k in data.get("keys", ())),
                   data["in_example"])


@cache
def _description() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    return loaded


def start_options() -> list[FieldOption]:
    """The options of `qi start`, as the start's body has them."""
    return [FieldOption.from_json(o) for o in _description()["start"]["options"]]


def command_options(name: str) -> list[FieldOption]:
    """The options of the lifecycle command `name` (dashed), as its body has them."""
    return [FieldOption.from_json(o) for o in _description()["commands"][name]["options"]]


def command_help(name: str) -> str:
    """What the lifecycle command `name` does: its contract's docstring."""
    text: str = _description()["commands"][name]["help"]
    return text


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
            item[name] = value.strip()  # the service names the unknown key, with the known ones
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
        if not option.takes_items and option.format.choices:
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
