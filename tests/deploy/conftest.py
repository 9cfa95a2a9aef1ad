"""The deployment files, loaded once: docker-compose.yml as YAML, the Dockerfile as lines."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PROJECT_IMAGE = "quality-interventions"


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
