"""The deployment files, loaded once: docker-compose.yml as YAML, the Dockerfile as lines."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PROJECT_IMAGE = "quality-interventions"
LOCKS = REPO / "requirements"
# What the Dockerfile copies in: the installer's own lock and the production locks.
IMAGE_LOCKS = ("bootstrap.txt", "production.txt", "production-otel.txt")

# `name==version [; marker]` followed by its `--hash=` options, continuation lines joined.
_LOCKED = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<rest>.*)$")


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_requirements(lock: str) -> dict[str, tuple[str, list[str]]]:
    """A lock file's requirements: normalised name -> (version, sha256 hashes)."""
    joined = re.sub(r"\\\n", " ", (LOCKS / lock).read_text())
    found: dict[str, tuple[str, list[str]]] = {}
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LOCKED.match(line)
        assert match, f"{lock}: not an exact pin: {line}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", match.group("rest"))
        found[normalised(match.group("name"))] = (match.group("version"), hashes)
    return found


@pytest.fixture(scope="session")
def compose_text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="session")
def compose(compose_text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(compose_text)
    return loaded


@pytest.fixture(scope="session")
def compose_schema() -> dict[str, Any]:
    """The compose-spec schema as check-jsonschema ships it (its `vendor.compose-spec`)."""
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema: dict[str, Any] = json.loads(vendored.read_text())
    return schema


def project_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the project's own image."""
    return {
        name: service
        for name, service in compose["services"].items()
        if str(service.get("image", "")).startswith(f"{PROJECT_IMAGE}:")
    }
