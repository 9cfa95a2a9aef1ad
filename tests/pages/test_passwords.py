"""The password rule, in plain English, and argon2id hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from core.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("x" * (MIN_LENGTH - 1), "must be at least 12 characters long (yours has 11)"),
        ("", "must be at least 12 characters long (yours has 0)"),
        (" " * MIN_LENGTH, "must not be only spaces"),
        ("x" * (MAX_LENGTH + 1), "must be at most 256 characters long"),
    ],
)
def test_a_password_breaking_the_rule_is_told_why(password: str, problem: str) -> None:
    found = password_problem(password)

    assert found is not None
    assert found.startswith(problem)


@pytest.mark.parametrize("password", ["x" * MIN_LENGTH, "four words are plenty", "x" * MAX_LENGTH])
def test_a_password_keeping_the_rule_has_no_problem(password: str) -> None:
    assert password_problem(password) is None


def test_a_hash_is_argon2id_salted_and_verifies_only_its_password() -> None:
    first, second = hash_password("four words are plenty"), hash_password("four words are plenty")

    assert first.startswith("$argon2id$")
    assert first != second  # a salt of its own
    assert "four words" not in first
    assert verify_password(first, "four words are plenty")
    assert not verify_password(first, "four words are plenty!")


def test_nothing_stored_never_verifies() -> None:
    assert not verify_password(None, "four words are plenty")
    assert not verify_password("", "four words are plenty")
    assert not verify_password("not a hash at all", "four words are plenty")


def test_a_hash_made_with_other_parameters_verifies_and_is_due_for_renewal() -> None:
    older = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("old enough pw")

    assert verify_password(older, "old enough pw")
    assert needs_rehash(older)
    assert not needs_rehash(hash_password("old enough pw"))
