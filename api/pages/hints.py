"""The forms' hints and the refusals they show, in words for a page rather than a terminal.

The contracts describe their fields once (`models.formats.describe_field`), and `qi` prints
those descriptions as they are: with its own syntax (`interests_declared=yes`) and its own
commands (`qi types TYPE`). A page has neither, so a description that speaks of them is given
the page's wording here (`field_hint`), a `name=value` setting reads as the form shows it
("Interests declared: Yes"), and codes inside a rule read as words (`api.pages.wording`).
What a hint needs to know of the intervention (the roles its type needs on the panel, who may
chair) is said from its type (`type_hints`), not left to another page.
"""

from __future__ import annotations

import re

from api.pages.rendering import words
from api.pages.wording import plain
from models.commands import Event
from models.intervention import InterventionData
from models.vocabulary import PanelRole

__all__ = ["SPEAKS_OF_THE_CLI", "field_hint", "in_words", "type_hints"]

# What a terminal's help may say and a page must not: a quoted command, `qi`, an option's
# syntax (`name=value`, `--flag`), or typing a list "separated with commas".
SPEAKS_OF_THE_CLI = re.compile(r"`|\bqi\b|\w=\w|--\w|\bcommas?\b", re.IGNORECASE)

_SETTING = re.compile(r"\b([a-z]+(?:_[a-z]+)*)=([a-z]+(?:_[a-z]+)*)\b")

# Descriptions that speak of the CLI, as a page says them instead. A field that names an item
# of the intervention is chosen from the items the page lists, so it needs no hint.
_PAGE_HINTS = {
    "members": "Every member must have declared their interests and must not be conflicted. "
               "The provider's lead (known by their e-mail) may sit on the panel only with "
               "“Conflict: Managed”, and never chairs.",
    "meeting_id": "",
    "finding_id": "",
    "action_id": "",
}


def _setting(found: re.Match[str]) -> str:
    return f"“{words(found.group(1))}: {words(found.group(2))}”"


def in_words(text: str) -> str:
    """Text the service wrote (a rule, a description) as a page shows it: `name=value`
    settings as the form shows them, and codes and ISO dates in words."""
    return plain(_SETTING.sub(_setting, text))


def field_hint(name: str, description: str) -> str:
    """The field's description for a page: its page wording, if the CLI's speaks of the CLI."""
    return _PAGE_HINTS.get(name, in_words(description))


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _roles(roles: tuple[PanelRole, ...], joiner: str) -> str:
    with_article = [_a(words(r).lower()) for r in roles]
    if len(with_article) < 2:
        return "".join(with_article)
    return f"{', '.join(with_article[:-1])} {joiner} {with_article[-1]}"


def type_hints(event: Event, data: InterventionData) -> dict[str, str]:
    """Sentences a field's hint gains on this intervention's form, by the field's ID: what its
    type asks of the panel and of its chair."""
    if event is not Event.convene_panel:
        return {}
    kind = data.type
    needs = (f"The panel of {_a(kind.name)} needs {_roles(kind.required_roles, 'and')}."
             if kind.required_roles else "")
    chair = (f"The chair of {_a(kind.name)} must be {_roles(kind.chair_roles, 'or')}."
             if kind.chair_roles else "")
    return {field: text for field, text in (("members", needs), ("chair", chair)) if text}
