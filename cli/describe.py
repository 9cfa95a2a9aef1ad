"""Writes `cli/options.json`: the options of `qi start` and of each lifecycle command, generated
from the bodies the API takes (`models.bodies`) with the wording of `models.formats`, so the CLI
never restates a contract and its commands never load one.

    python -m cli.describe      # or `make cli-options`, after changing a contract

A test regenerates the description and fails, saying to run this, when the file differs.
"""

from __future__ import annotations

import json
import typing
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cli.names import dashed
from cli.options import DESCRIPTION, FieldOption, ItemKey
from models.formats import describe_field, format_of, is_model, unwrap

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

__all__ = ["description", "field_options", "main", "rendered"]


def _listy(annotation: Any) -> bool:
    return typing.get_origin(unwrap(annotation)) in (list, tuple)


def _item_of(annotation: Any) -> Any:
    return typing.get_args(unwrap(annotation))[0]


def _flag(path: tuple[str, ...]) -> str:
    return "--" + "-".join(path).replace("_", "-")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default is None or info.default_factory is not None:
        return "optional"
    value = getattr(info.default, "value", info.default)
    return f"default {'no' if value is False else value}"


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
            return FieldOption(path, _flag(path), True, False, keys[0].format, presence,
                               description, keys, in_example=True)
        return FieldOption(path, _flag(path), True, False, format_of(_item_of(annotation), None),
                           presence, description, in_example=in_example)
    fmt = format_of(info.annotation, info)
    if path in _EXAMPLES:
        fmt = replace(fmt, example=_EXAMPLES[path])
    return FieldOption(path, _flag(path), False, annotation is bool, fmt, presence, description,
                       in_example=in_example)


def field_options(
    model: type[BaseModel], prefix: tuple[str, ...] = (), *, parent_required: bool = True
) -> list[FieldOption]:
    """`model`'s fields as options; raises `UnknownFormat` for a field no format explains."""
    options: list[FieldOption] = []
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        annotation = unwrap(info.annotation)
        if is_model(annotation):
            options += field_options(annotation, path, parent_required=info.is_required())
        else:
            options.append(_leaf(path, info, parent_required))
    return options


def description() -> dict[str, Any]:
    """What `cli/options.json` holds: the start's options, and per lifecycle command (in the
    registry's order) its help and options."""
    from models.bodies import COMMAND_BODIES, StartBody

    return {
        "start": {"options": [o.to_json() for o in field_options(StartBody)]},
        "commands": {
            dashed(event.value): {"help": (body.__doc__ or "").strip(),
                                  "options": [o.to_json() for o in field_options(body)]}
            for event, body in COMMAND_BODIES.items()
        },
    }


def rendered() -> str:
    """The file's text, as it should be."""
    return json.dumps(description(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    text = rendered()
    if DESCRIPTION.exists() and DESCRIPTION.read_text(encoding="utf-8") == text:
        print(f"{DESCRIPTION.name} is up to date")
        return
    DESCRIPTION.write_text(text, encoding="utf-8")
    print(f"wrote {DESCRIPTION}")


if __name__ == "__main__":
    main()
