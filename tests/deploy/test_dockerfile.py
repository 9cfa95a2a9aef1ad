"""The project image: a pinned base, dependencies from pyproject.toml, run as a non-root user."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import DOCKERFILE

# python:3.11.<patch>-slim-bookworm, optionally with its digest.
_PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return _instructions()


def test_the_base_image_is_an_exact_python_release(instructions: list[tuple[str, str]]) -> None:
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]

    assert bases
    assert [b for b in bases if not _PINNED_BASE.match(b)] == []


def test_the_image_runs_as_a_user_of_its_own(instructions: list[tuple[str, str]]) -> None:
    keywords = [keyword for keyword, _ in instructions]
    users = [args for keyword, args in instructions if keyword == "USER"]

    assert users, "no USER: the processes would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    last_user = len(keywords) - 1 - keywords[::-1].index("USER")
    # Nothing may run as root after the switch, and the entry point runs as that user.
    assert "RUN" not in keywords[last_user:]
    assert "ENTRYPOINT" in keywords[last_user:]


def test_dependencies_come_from_the_pinned_pyproject(instructions: list[tuple[str, str]]) -> None:
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    copies = [args for keyword, args in instructions if keyword == "COPY"]

    assert copies[0] == "pyproject.toml ./"  # installed before the code, as its own layer
    assert "tomllib.load(open('pyproject.toml'" in runs
    assert "pip install -r" in runs
    assert "pip install --no-deps ." in runs
