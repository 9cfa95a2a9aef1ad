"""docker-compose.yml: valid against the compose spec, and consistent with the project it runs.

No Docker engine is needed: the file is checked against the official compose-spec JSON schema
(as the check-jsonschema package ships it) and against the project's own code.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
from jsonschema import Draft7Validator

from cli import cli
from core.settings import Settings
from core.stack import search_attribute_types
from tests.deploy.conftest import (
    IMAGE_LOCKS,
    PROJECT_IMAGE,
    REPO,
    on_host,
    qi_services,
)

# `$$` is a literal dollar; `${...}` and `$NAME` are interpolated by compose.
_TOKEN = re.compile(r"\$\$|\$\{(?P<braced>[^}]*)\}|\$(?P<bare>[A-Za-z_]\w*)")
_EXPRESSION = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<rest>.*))?", re.S)
# An exact release: at least major.minor (postgres 16.10), never a floating `16` or `latest`.
_PINNED_TAG = re.compile(r"^v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$")


def _schema_errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def _expressions(text: str) -> list[str]:
    """Every interpolated expression, e.g. `POSTGRES_USER:-qi`; a bare `$NAME` as itself."""
    found = []
    for match in _TOKEN.finditer(text):
        if match.group("braced") is not None:
            found.append(match.group("braced"))
        elif match.group("bare") is not None:
            found.append("$" + match.group("bare"))
    return found


def _interpolate(value: str) -> str:
    """What compose makes of `value` with every variable unset but the required ones."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        parsed = _EXPRESSION.fullmatch(match.group("braced") or "")
        assert parsed is not None, match.group(0)
        op = parsed.group("op") or ""
        return parsed.group("rest") if op.endswith("-") else "example"

    return _TOKEN.sub(substitute, value)


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, f"unexpected duration {duration!r}"
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def test_compose_file_follows_the_compose_spec(
    compose: dict[str, Any], compose_schema: dict[str, Any]
) -> None:
    assert _schema_errors(compose_schema, compose) == []


def test_schema_check_catches_a_misspelt_service_key(
    compose: dict[str, Any], compose_schema: dict[str, Any]
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["depends"] = broken["services"]["worker"].pop("depends_on")

    assert any("depends" in error for error in _schema_errors(compose_schema, broken))


def test_every_project_command_is_a_qi_subcommand(compose: dict[str, Any]) -> None:
    commands = {name: service["command"][0] for name, service in qi_services(compose).items()}

    assert set(commands.values()) == {"migrate", "worker", "api"}
    known = cli.list_commands(click.Context(cli))  # commands load when used
    unknown = {name: c for name, c in commands.items() if c not in known}
    assert unknown == {}, f"not `qi` subcommands: {unknown}"


def test_the_image_runs_qi_and_qi_is_the_projects_cli() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]

    assert re.search(r'^ENTRYPOINT \["qi"\]$', dockerfile, re.M)
    assert scripts["qi"] == "cli:main"


def test_every_variable_has_a_default_or_a_message_when_missing(compose_text: str) -> None:
    expressions = _expressions(compose_text)
    assert "POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env" in expressions
    loose = []
    for expression in expressions:
        parsed = _EXPRESSION.fullmatch(expression)
        op = parsed.group("op") if parsed else None
        if op is None or (op.endswith("?") and not parsed.group("rest").strip()):
            loose.append(expression)
    assert loose == [], f"set a default (:-) or a message (:?) for: {loose}"


def test_every_image_is_pinned(compose: dict[str, Any]) -> None:
    loose = {}
    for name, service in compose["services"].items():
        repository, _, tag = _interpolate(service["image"]).partition(":")
        if repository == PROJECT_IMAGE:
            # Built here; the tag names the build and must not float.
            ok = bool(tag) and tag != "latest" and "build" in service
        else:
            ok = bool(_PINNED_TAG.match(tag))
        if not ok:
            loose[name] = service["image"]
    assert loose == {}, f"pin an exact version: {loose}"


def test_workers_can_be_scaled(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]

    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["command"] == ["worker"]


def published_beyond_loopback(compose: dict[str, Any]) -> list[str]:
    """Every port a service publishes on an interface other than 127.0.0.1, in either syntax
    (`[IP:]HOST:CONTAINER` or a mapping with `host_ip`), and every service on the host's
    network, which publishes all it listens on."""
    found = []
    for name, service in compose["services"].items():
        if service.get("network_mode") == "host":
            found.append(f"{name}: network_mode host")
        for port in service.get("ports", []):
            if isinstance(port, dict):
                host_ip = port.get("host_ip", "")
            else:
                text = _interpolate(str(port))
                # An IPv6 host address is bracketed; otherwise IP:HOST:CONTAINER has three parts.
                bracketed = re.match(r"^\[(?P<ip>[^]]*)\]:", text)
                parts = text.split(":")
                host_ip = bracketed["ip"] if bracketed else parts[0] if len(parts) == 3 else ""
            if host_ip != "127.0.0.1":
                found.append(f"{name}: {port}")
    return found


def test_only_the_user_facing_ports_are_published_and_only_on_localhost(
    compose: dict[str, Any],
) -> None:
    published = {name for name, s in compose["services"].items() if s.get("ports")}

    # The Web UI, the API and the mail catcher's page; never PostgreSQL or the frontend.
    assert published == {"temporal-ui", "api", "mailpit"}
    assert published_beyond_loopback(compose) == []


@pytest.mark.parametrize("port", [
    "8025:8025", "0.0.0.0:8025:8025", "[::]:8025:8025", "8025",
    {"target": 8025, "published": "8025"}, {"target": 8025, "host_ip": "0.0.0.0"},
])
def test_a_port_published_on_every_interface_is_caught(
    compose: dict[str, Any], port: str | dict[str, Any]
) -> None:
    opened = copy.deepcopy(compose)
    opened["services"]["mailpit"]["ports"] = [port]

    assert published_beyond_loopback(opened) == [f"mailpit: {port}"]


def test_a_service_on_the_hosts_network_is_caught(compose: dict[str, Any]) -> None:
    opened = copy.deepcopy(compose)
    opened["services"]["postgres"]["network_mode"] = "host"

    assert published_beyond_loopback(opened) == ["postgres: network_mode host"]


def test_dependencies_wait_for_health_or_completion(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            condition = rule["condition"]
            assert target in services, f"{name} depends on unknown {target}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            else:
                assert condition == "service_completed_successfully", f"{name} -> {target}"
                # A one-shot that restarts on exit would never count as completed.
                assert services[target].get("restart", "no") == "no", target


def test_the_workers_wait_for_migrations_registration_and_the_mail_catcher(
    compose: dict[str, Any],
) -> None:
    depends = compose["services"]["worker"]["depends_on"]

    assert depends == {
        "migrate": {"condition": "service_completed_successfully"},
        "temporal-register": {"condition": "service_completed_successfully"},
        "certs": {"condition": "service_completed_successfully"},
        "mailpit": {"condition": "service_healthy"},
    }
    assert compose["services"]["migrate"]["command"] == ["migrate"]


def test_one_migrate_step_runs_before_every_other_project_service(
    compose: dict[str, Any],
) -> None:
    services = qi_services(compose)
    migrating = [name for name, service in services.items() if service["command"] == ["migrate"]]

    assert migrating == ["migrate"]
    waiting = {
        name: service.get("depends_on", {}).get("migrate")
        for name, service in services.items()
        if name != "migrate"
    }
    assert waiting
    assert all(rule == {"condition": "service_completed_successfully"}
               for rule in waiting.values()), waiting


def test_registered_search_attributes_are_the_workflows(compose: dict[str, Any]) -> None:
    declared = compose["services"]["temporal-register"]["environment"]["SEARCH_ATTRIBUTES"]

    pairs = dict(pair.split("=") for pair in declared.split())

    assert pairs == search_attribute_types()


@pytest.mark.parametrize(("service", "address"), [
    ("migrate", None), ("worker", "temporal:7233"), ("api", "temporal:7233")])
def test_project_settings_are_known_and_valid(
    compose: dict[str, Any], made_certs: Path, service: str, address: str | None
) -> None:
    spec = compose["services"][service]
    environment = spec["environment"]
    fields = {f"QI_{name.upper()}": name for name in Settings.model_fields}

    unknown = sorted(key for key in environment if key.startswith("QI_") and key not in fields)
    assert unknown == [], f"no such setting: {unknown}"
    values = {}
    for key, value in environment.items():
        if key in fields:
            text = _interpolate(str(value))
            # A file in the service's certificate folder: where the certs one-shot made it.
            values[fields[key]] = on_host(spec, text, made_certs) or text
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]

    assert settings.database_url == "postgresql+psycopg://qi:example@postgres:5432/qi"
    # Only the processes that call Temporal are told where it is (migrate never does).
    assert settings.temporal_address == address


def test_the_worker_mails_through_mailpit(compose: dict[str, Any]) -> None:
    environment = compose["services"]["worker"]["environment"]

    assert (environment["QI_NOTIFIER"], environment["QI_SMTP_HOST"]) == ("smtp", "mailpit")
    assert environment["QI_SMTP_PORT"] == "1025"  # Mailpit's SMTP port
    assert compose["services"]["mailpit"]["image"].startswith("axllent/mailpit:")


def test_the_worker_is_given_longer_to_stop_than_its_activities(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    graceful = float(worker["environment"]["QI_GRACEFUL_SHUTDOWN_SECONDS"])

    assert _seconds(worker["stop_grace_period"]) > graceful


def test_mounted_files_are_in_the_repository(compose: dict[str, Any]) -> None:
    mounted = [
        _interpolate(volume).split(":")[0] if isinstance(volume, str) else volume["source"]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if isinstance(volume, str) or volume["type"] == "bind"
    ]
    sources = [source for source in mounted if source.startswith("./")]

    assert sources
    assert [s for s in sources if not (REPO / s).exists()] == []


def test_the_build_context_holds_every_installed_module() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    needed = {f"{m}.py" for m in setuptools["py-modules"]}
    needed |= {p.rstrip("*") + "/" for p in setuptools["packages"]["find"]["include"]}
    needed |= {"pyproject.toml", project["project"]["readme"]}
    needed |= {f"requirements/{lock}" for lock in IMAGE_LOCKS}
    admitted = {
        line[1:] for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }

    assert needed - admitted == set()


def test_the_web_ui_opens_payloads_through_the_apis_codec_server_and_writes_nothing(
    compose: dict[str, Any],
) -> None:
    ui = compose["services"]["temporal-ui"]["environment"]
    api = compose["services"]["api"]
    ui_port = _interpolate(compose["services"]["temporal-ui"]["ports"][0]).split(":")[1]
    api_port = _interpolate(api["ports"][0]).split(":")[1]

    # Names as the temporalio/ui image documents them; the browser calls the codec itself.
    assert _interpolate(ui["TEMPORAL_CODEC_ENDPOINT"]) == f"http://localhost:{api_port}/codec"
    # With the browser's cookies, so a user signed in to the API's pages needs no token; the
    # UI and the API on the same host (localhost) are the same site for the session cookie.
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    # The API answers browsers from the UI's origin only.
    assert _interpolate(api["environment"]["QI_UI_ORIGIN"]) == f"http://localhost:{ui_port}"


@pytest.mark.parametrize("service", ["worker", "api"])
def test_the_worker_and_api_read_the_keys_from_a_mounted_secret(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]

    assert spec["secrets"] == ["qi-keys"]
    assert spec["environment"]["QI_KEYS_FILE"] == "/run/secrets/qi-keys"
    assert compose["secrets"]["qi-keys"]["file"].startswith("${KEYS_FILE:?")
