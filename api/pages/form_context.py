"""A command's form as it stands on one intervention: each field that names an item of the
intervention offers its items (`api.pages.references`), or says there is none to choose, and
hints say what the intervention's type asks (`api.pages.hints.type_hints`).

The form itself is the command's (`api.pages.forms`), the same for every intervention; this is
what a page adds to it from the intervention's status, each time it is shown.
"""

from __future__ import annotations

from api.pages.form_view import Node
from api.pages.forms import Choice, Refers
from api.pages.hints import type_hints
from api.pages.references import NOT_BOOKED, none_to_choose, offered
from models.commands import Event
from models.intervention import InterventionData

__all__ = ["fit"]

# A reference that may be left out offers, after its items, the choice that names none.
_NAMES_NONE: dict[Refers, Choice] = {Refers.meeting: NOT_BOOKED}


def fit(nodes: list[Node], event: Event, data: InterventionData) -> None:
    """Give the form's fields (as `api.pages.form_view.bind` made them) what they show on this
    intervention."""
    extra = type_hints(event, data)
    for top in nodes:
        for node in top.walk():
            if node.id in extra:
                node.hint = f"{node.hint} {extra[node.id]}".strip()
            refers = node.field.refers
            if refers is None:
                continue
            node.choices = tuple(offered(refers, data))
            if not node.choices:
                node.none_text = none_to_choose(refers, event)
            elif node.field.nullable:
                node.or_none = _NAMES_NONE.get(refers, Choice("", "None"))
