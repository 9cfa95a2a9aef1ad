"""The deployment files, loaded once: docker-compose.yml as YAML, the Dockerfile as lines; and
the stack's certificates, made once by its own `certs` command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PROJECT_IMAGE = "quality-interventions"
CERTS_SCRIPT = REPO / "deploy" / "certs" / "make_certs.py"
CERTS_VOLUME = "temporal-certs"
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


def qi_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's services that run `qi` (the image's entry point, not overridden)."""
    return {name: service for name, service in project_services(compose).items()
            if "entrypoint" not in service}


def certs_args(compose: dict[str, Any]) -> list[str]:
    """The `certs` one-shot's arguments after the folder: NAME:ROLE:UID[:DNS,...] each."""
    args: list[str] = compose["services"]["certs"]["command"][1:]
    return args


def cert_mount(service: dict[str, Any]) -> tuple[str, str] | None:
    """(where it is mounted, which folder) of the service's temporal-certs mount, if any."""
    for volume in service.get("volumes", []):
        if isinstance(volume, dict) and volume.get("source") == CERTS_VOLUME:
            return volume["target"], volume.get("volume", {}).get("subpath", "")
        if isinstance(volume, str) and volume.split(":")[0] == CERTS_VOLUME:
            return volume.split(":")[1], ""  # the short form mounts the whole volume
    return None


def on_host(service: dict[str, Any], path: str, root: Path) -> Path | None:
    """Where a path the service reads lies among certificates made in `root`; None if it is
    not in the service's temporal-certs mount."""
    mount = cert_mount(service)
    if mount is None or not path.startswith(mount[0].rstrip("/") + "/"):
        return None
    return root / mount[1] / path[len(mount[0].rstrip("/")) + 1:]


def run_certs(root: Path, args: list[str], supplied: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    """The `certs` one-shot's script, for real, writing into `root`."""
    env = {k: v for k, v in os.environ.items() if k != "TLS_SUPPLIED_DIR"}
    if supplied is not None:
        env["TLS_SUPPLIED_DIR"] = str(supplied)
    return subprocess.run([sys.executable, str(CERTS_SCRIPT), str(root), *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def made_certs(compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the stack's `certs` command fills, made once by running it as compose does."""
    root = tmp_path_factory.mktemp("temporal-certs")
    done = run_certs(root, certs_args(compose))
    assert done.returncode == 0, done.stderr
    return root
