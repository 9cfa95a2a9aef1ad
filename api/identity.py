"""Who sends a command or starts an intervention, as the service fills it in from the signed-in
user, whichever door they came through (a token at the API, a session at the pages): never
typed, so nobody can act under another's name."""

from __future__ import annotations

from typing import Any

from api.auth import Caller
from core.interventions import Interventions
from models.access import approver_role
from models.commands import Event
from models.errors import ApiError, ErrorType, Problem, ProblemError

__all__ = ["command_identity", "coordinator_email"]


async def command_identity(
    caller: Caller, event: Event, intervention_id: str, service: Interventions
) -> dict[str, Any]:
    """What the command carries of who sends it: the user's name and e-mail, and for a closure
    approval the approver role their account holds for this intervention's type."""
    identity: dict[str, Any] = {"actor": caller.user.name}
    if caller.user.email is not None:  # the rules that compare people use it
        identity["actor_email"] = caller.user.email
    if event is Event.approve_closure:
        kind = (await service.status(intervention_id)).data.type
        role = approver_role(caller.user.role, kind.closure_approver_roles)
        if role is None:
            allowed = " or ".join(kind.closure_approver_roles)
            raise ApiError(
                [Problem(field="role", rule=f"closure of this {kind.name} is approved by "
                         f"{allowed}; a {caller.user.role.value}'s account approves as none "
                         "of these")],
                ErrorType.FORBIDDEN,
            )
        identity["role"] = role
    return identity


def coordinator_email(caller: Caller, given: str | None) -> str:
    """The coordinator's e-mail for a start: their account's; one given must be the same, and
    an account without one must give it."""
    own = caller.user.email
    if own is not None and given is not None and given.casefold() != own.casefold():
        raise ProblemError([Problem(field="coordinator_email", rule="must be your own "
                                    f"e-mail, {own}, as your account has it (or leave it out)")])
    if own is None and given is None:
        raise ProblemError([Problem(field="coordinator_email", rule="your account has no "
                                    "e-mail: give yours, where the intervention's mail to its "
                                    "coordinator will go")])
    email = own or given
    assert email is not None
    return email
