"""Passwords for signing in to the pages: the rule, and argon2id hashes.

Hashed with argon2id at the cost OWASP's password storage guidance gives as its first choice
(19 MiB of memory, 2 passes, 1 lane): a stolen hash costs that much for every guess. A hash made
with other parameters still verifies, and is replaced at the next sign-in (`needs_rehash`).
Checking a name that has no password, or no user at all, verifies against a hash of a random
password, so a refusal takes as long whichever was wrong.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "RULE",
    "hash_password",
    "needs_rehash",
    "password_problem",
    "verify_password",
]

MIN_LENGTH = 12
MAX_LENGTH = 256
RULE = (f"must be at least {MIN_LENGTH} characters long (a few words together are easy to "
        f"remember) and at most {MAX_LENGTH}")

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def password_problem(password: str) -> str | None:
    """What is wrong with `password` as a new password, in plain English; None if nothing."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long (yours has {len(password)}); " \
               "a few words together are easy to remember"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if not password.strip():
        return "must not be only spaces"
    return None


def hash_password(password: str) -> str:
    """The argon2id hash to store (a PHC string with its own salt and parameters)."""
    return _HASHER.hash(password)


@cache
def _stand_in() -> str:
    # Made once per process, of a password nobody knows.
    return _HASHER.hash(secrets.token_urlsafe(32))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with nothing stored, the same work is done against
    a stand-in hash and the answer is no."""
    try:
        return _HASHER.verify(stored or _stand_in(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with other parameters than new hashes are."""
    return _HASHER.check_needs_rehash(stored)
