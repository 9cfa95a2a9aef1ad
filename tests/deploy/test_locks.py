"""The lock files: every dependency pinned with hashes, and the same pins as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.deploy.conftest import LOCKS, REPO, locked_requirements, normalised

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(\[[^\]]*\])?==(?P<version>[^;\s]+)")
_PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _pins(*extras: str) -> dict[str, str]:
    """pyproject.toml's pins for the main dependencies and the given extras."""
    requirements = list(_PROJECT["dependencies"])
    for extra in extras:
        requirements += _PROJECT["optional-dependencies"][extra]
    pins = {}
    for requirement in requirements:
        if requirement.startswith(f"{_PROJECT['name']}["):
            continue  # an extra naming other extras; they are listed explicitly
        match = _PIN.match(requirement)
        assert match, f"pyproject.toml: not an exact pin: {requirement}"
        pins[normalised(match.group("name"))] = match.group("version")
    return pins


@pytest.mark.parametrize("lock", sorted(p.name for p in LOCKS.glob("*.txt")))
def test_every_locked_requirement_is_pinned_with_a_hash(lock: str) -> None:
    requirements = locked_requirements(lock)

    assert requirements
    assert [name for name, (_, hashes) in requirements.items() if not hashes] == []


@pytest.mark.parametrize(
    ("lock", "extras"),
    [
        ("production.txt", ()),
        ("production-otel.txt", ("otel",)),
        ("dev.txt", ("otel", "embedded", "test")),
    ],
)
def test_each_lock_has_pyprojects_pins(lock: str, extras: tuple[str, ...]) -> None:
    locked = {name: version for name, (version, _) in locked_requirements(lock).items()}
    pins = _pins(*extras)

    # A pin changed in pyproject.toml without `make lock` shows here.
    assert {name: locked.get(name) for name in pins} == pins


def test_the_installer_itself_is_locked() -> None:
    assert set(locked_requirements("bootstrap.txt")) == {"pip", "setuptools"}


def test_make_install_installs_only_from_the_locks() -> None:
    makefile = (REPO / "Makefile").read_text()
    installs = re.findall(r"\$\(BIN\)/pip install (.*)", makefile)

    assert installs == [
        "--quiet --require-hashes -r requirements/bootstrap.txt",
        "--quiet --require-hashes -r requirements/dev.txt",
        "--quiet --no-deps --no-build-isolation -e .",
    ]
