"""The dashboard's filters and page, as its GET form sends them and its links carry them.

Every value in the query string is a code from a fixed list (states, the catalogue's types, the
providers in the read model, whose) or a page number: never free text. A value from outside its
list is refused with the field to fix and the rule, and never shown back. A provider lead's list
is their provider's whatever the query says, as the API scopes it (`scoped_filters`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from api.auth import Caller
from api.routes.interventions import MAX_OFFSET, ListFilters, scoped_filters
from models.intervention import Ended, RecordedState, State, StateFilter, recorded_state

__all__ = ["PAGE_SIZE", "FieldError", "ListQuery", "Whose", "read_query"]

PAGE_SIZE = 25
_MAX_PAGE = MAX_OFFSET // PAGE_SIZE


class Whose(StrEnum):
    """A coordinator's list: the interventions they coordinate, or everyone's."""

    mine = "mine"
    everyone = "all"


@dataclass(frozen=True)
class FieldError:
    field: str  # the query parameter, and the id of its form field
    text: str


@dataclass(frozen=True)
class ListQuery:
    whose: Whose | None = None  # None: the list is not a coordinator's
    state: RecordedState | None = None
    type_code: str | None = None
    provider_code: str | None = None
    page: int = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    @property
    def filtered(self) -> bool:
        return (self.state, self.type_code, self.provider_code) != (None, None, None)

    def where(self, caller: Caller, *, with_state: bool = True) -> dict[str, Any] | None:
        """The read model's filters for `caller`; None when their scope leaves nothing."""
        state = StateFilter(self.state.value) if with_state and self.state else None
        where = scoped_filters(ListFilters(state=state, type=self.type_code,
                                           provider=self.provider_code), caller.provider_scope)
        if where is not None and self.whose is Whose.mine:
            where["coordinator"] = caller.user.name
        return where

    def query_string(self, **changes: Any) -> str:
        """This query with `changes`, as a link's query string ("" when it has nothing)."""
        changed = replace(self, **changes)
        pairs = {
            "whose": changed.whose.value if changed.whose is Whose.everyone else None,
            "state": changed.state.value if changed.state else None,
            "type": changed.type_code,
            "provider": changed.provider_code,
            "page": str(changed.page) if changed.page > 1 else None,
        }
        kept = {name: value for name, value in pairs.items() if value is not None}
        return f"?{urlencode(kept)}" if kept else ""


def _page(value: str) -> int | None:
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(_MAX_PAGE))):
        return None
    page = int(value)
    return page if 1 <= page <= _MAX_PAGE else None


def read_query(
    params: Mapping[str, str],
    *,
    coordinator: bool,
    types: Collection[str],
    providers: Collection[str],
) -> tuple[ListQuery, list[FieldError]]:
    """The list's query from the request's parameters, and what is wrong with them (a wrong
    value is left out of the query). `whose` is a coordinator's choice alone."""
    errors: list[FieldError] = []
    checks: list[tuple[str, Collection[str], str]] = [
        ("state", [s.value for s in (*State, *Ended)], "Select a state from the list"),
        ("type", types, "Select a type of intervention from the list"),
        ("provider", providers, "Select a provider from the list"),
    ]
    if coordinator:
        checks.insert(0, ("whose", [w.value for w in Whose],
                          "Select whose interventions to show from the list"))
    chosen: dict[str, str] = {}
    for name, allowed, message in checks:
        value = params.get(name)
        if value and value not in allowed:
            errors.append(FieldError(name, message))
        elif value:
            chosen[name] = value
    page = _page(params.get("page") or "1")
    if page is None:
        errors.append(FieldError("page", "The page must be a whole number from 1 to "
                                         f"{_MAX_PAGE:,}"))
    query = ListQuery(
        whose=Whose(chosen.get("whose", Whose.mine)) if coordinator else None,
        state=recorded_state(chosen["state"]) if "state" in chosen else None,
        type_code=chosen.get("type"),
        provider_code=chosen.get("provider"),
        page=page or 1,
    )
    return query, errors
