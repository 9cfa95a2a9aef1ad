"""Command-line options generated from the pydantic contracts, so the CLI never restates them.

Scalars become `--field` options, nested models are flattened (`--provider-code`), lists repeat
the option; a list of models takes `key=value; key=value` items, and `a+b` for a tuple inside.
Values stay strings: pydantic converts and validates them, naming the field on failure.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Union

import click
from pydantic import BaseModel

__all__ = ["FieldOption", "assemble", "field_options", "parse_item"]


@dataclass(frozen=True)
class FieldOption:
    path: tuple[str, ...]
    multiple: bool
    item_model: type[BaseModel] | None
    is_flag: bool
    help: str

    @property
    def flag(self) -> str:
        return "--" + "-".join(self.path).replace("_", "-")

    @property
    def dest(self) -> str:
        return "__".join(self.path)

    def click_option(self) -> click.Option:
        if self.is_flag:
            no = "--no-" + self.flag.removeprefix("--")
            return click.Option([f"{self.flag}/{no}", self.dest], default=None, help=self.help)
        return click.Option([self.flag, self.dest], multiple=self.multiple, help=self.help)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else str
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _describe(annotation: Any, description: str | None) -> str:
    text = description or ""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = ", ".join(str(m.value) for m in annotation)
        text = f"{text} one of: {choices}" if text else f"one of: {choices}"
    return text


def field_options(
    model: type[BaseModel], prefix: tuple[str, ...] = (), skip: frozenset[str] = frozenset()
) -> list[FieldOption]:
    options: list[FieldOption] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        path = (*prefix, name)
        annotation = _unwrap(info.annotation)
        origin = typing.get_origin(annotation)
        if _is_model(annotation):
            options += field_options(annotation, path)
        elif origin in (list, tuple):
            item = _unwrap(typing.get_args(annotation)[0])
            model_item = item if _is_model(item) else None
            hint = ("; ".join(f"{k}=..." for k in model_item.model_fields) if model_item
                    else _describe(item, info.description))
            options.append(FieldOption(path, True, model_item, False, f"repeatable; {hint}"))
        else:
            is_flag = annotation is bool
            options.append(FieldOption(path, False, None, is_flag,
                                       _describe(annotation, info.description)))
    return options


def parse_item(text: str, model: type[BaseModel]) -> dict[str, Any]:
    """`name=Dr A; roles=a+b` -> {"name": "Dr A", "roles": ["a", "b"]} (tuples/lists by `+`)."""
    item: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise click.BadParameter(f"expected key=value, got {part!r}")
        info = model.model_fields.get(key)
        listy = info is not None and typing.get_origin(_unwrap(info.annotation)) in (list, tuple)
        item[key] = [v.strip() for v in value.split("+")] if listy else value.strip()
    return item


def _load_data(data: str | None) -> dict[str, Any]:
    if not data:
        return {}
    text = Path(data[1:]).read_text(encoding="utf-8") if data.startswith("@") else data
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--data") from None
    if not isinstance(loaded, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--data")
    return loaded


def assemble(
    options: list[FieldOption], values: dict[str, Any], data: str | None
) -> dict[str, Any]:
    """The payload: `--data` JSON first, then every option the user gave on top of it."""
    payload = _load_data(data)
    for option in options:
        value = values.get(option.dest)
        if value is None or (option.multiple and not value):
            continue
        if option.item_model is not None:
            value = [parse_item(v, option.item_model) for v in value]
        elif option.multiple:
            value = list(value)
        target = payload
        for key in option.path[:-1]:
            target = target.setdefault(key, {})
        target[option.path[-1]] = value
    return payload
