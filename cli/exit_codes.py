"""`qi`'s exit codes, the one place they are defined; each has one meaning.

0 done; 1 refused by the lifecycle; 2 invalid input: an option's value, a setting, or an
option naming a meeting, finding or action the intervention does not have; 3 unknown
intervention (or, for `qi users` and `qi tokens`, user or token); 4 the service, Temporal or
the database unreachable (or the database not migrated); 5 not signed in, or the sign-in has
expired or been revoked (`qi login`); 6 your account's role may not do that; 130 Ctrl-C before
a command finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.errors import ErrorType

__all__ = [
    "EXIT_FORBIDDEN",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_NOT_SIGNED_IN",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_UNKNOWN",
    "exit_code_for",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_INVALID = 2
EXIT_UNKNOWN = 3
EXIT_UNAVAILABLE = 4
EXIT_NOT_SIGNED_IN = 5
EXIT_FORBIDDEN = 6
EXIT_INTERRUPTED = 130


def exit_code_for(error_type: ErrorType) -> int:
    """The exit code for an error of the `models.errors` hierarchy; anything else refused."""
    from models.errors import ErrorType

    return {
        ErrorType.COMMAND_REFUSED: EXIT_REFUSED,
        ErrorType.INVALID_INPUT: EXIT_INVALID,
        ErrorType.CATALOGUE_INVALID: EXIT_INVALID,
        ErrorType.UNKNOWN_REFERENCE: EXIT_UNKNOWN,
        ErrorType.UNAVAILABLE: EXIT_UNAVAILABLE,
        ErrorType.NOT_AUTHENTICATED: EXIT_NOT_SIGNED_IN,
        ErrorType.FORBIDDEN: EXIT_FORBIDDEN,
        ErrorType.TOO_MANY_REQUESTS: EXIT_NOT_SIGNED_IN,  # failed sign-ins, throttled
        ErrorType.UNKNOWN_HOST: EXIT_INVALID,  # the address `qi login` was given
    }.get(error_type, EXIT_REFUSED)
