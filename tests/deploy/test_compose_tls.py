"""docker-compose.yml closes the doors the service closes: the Temporal frontend takes only
clients with a certificate from the deployment's CA, every client presents one, the Web UI
writes nothing and opens payloads only through the API, and sign-in is there to turn on.

Settings are the names each official image documents (the server's config template, the UI's
config template, the `temporal` CLI's client configuration) and the project's own `Settings`;
the certificates are the ones the stack's own `certs` command makes (`made_certs`).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store
from temporalio.service import TLSConfig

from api.routes.codec_server import CodecCors
from core.settings import Settings
from core.temporal import client_config
from tests.deploy.conftest import (
    CERTS_VOLUME,
    REPO,
    cert_mount,
    certs_args,
    on_host,
    qi_services,
)
from tests.deploy.test_compose import _expressions, _interpolate

FRONTEND = "temporal:7233"
# What each image reads as the certificate it presents, its key and the CA it trusts.
CLIENT_TLS = {
    "quality-interventions": ("QI_TEMPORAL_TLS_CLIENT_CERT", "QI_TEMPORAL_TLS_CLIENT_KEY",
                              "QI_TEMPORAL_TLS_SERVER_CA_CERT"),
    "temporalio/admin-tools": ("TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH",
                               "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
    "temporalio/ui": ("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA"),
}
# The server's config template: internode and frontend certificates, the CAs, client auth.
SERVER_TLS = ("TEMPORAL_TLS_SERVER_CERT", "TEMPORAL_TLS_SERVER_KEY", "TEMPORAL_TLS_SERVER_CA_CERT",
              "TEMPORAL_TLS_FRONTEND_CERT", "TEMPORAL_TLS_FRONTEND_KEY",
              "TEMPORAL_TLS_CLIENT1_CA_CERT", "TEMPORAL_TLS_CLIENT2_CA_CERT")
# The UI's OpenID Connect settings an operator sets to turn sign-in on.
UI_AUTH = ("TEMPORAL_AUTH_ENABLED", "TEMPORAL_AUTH_PROVIDER_URL", "TEMPORAL_AUTH_CLIENT_ID",
           "TEMPORAL_AUTH_CALLBACK_URL", "TEMPORAL_AUTH_SCOPES")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    return {k: _interpolate(str(v)) for k, v in service.get("environment", {}).items()}


def _image(service: dict[str, Any]) -> str:
    return _interpolate(service["image"]).partition(":")[0]


def _roles(compose: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """The certs command's folders: NAME -> (role, DNS names)."""
    roles = {}
    for spec in certs_args(compose):
        name, role, _, *dns = spec.split(":")
        roles[name] = (role, dns[0].split(",") if dns else [name])
    return roles


def frontend_clients(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every service told the frontend's address: each one a client that must present a
    certificate."""
    return {name: service for name, service in compose["services"].items()
            if FRONTEND in _environment(service).values()}


def unawaited_certs(compose: dict[str, Any]) -> list[str]:
    """Services that read certificates or call the frontend without waiting for them."""
    services = compose["services"]
    readers = {name for name, s in services.items() if cert_mount(s)} | set(
        frontend_clients(compose))
    return sorted(
        name for name in readers - {"certs"}
        if services[name].get("depends_on", {}).get("certs")
        != {"condition": "service_completed_successfully"})


def client_tls_gaps(compose: dict[str, Any], root: Path) -> list[str]:
    """What keeps a frontend client from presenting a certificate of the deployment's CA: a
    setting missing, a path outside its certificate folder, a folder not made for a client."""
    gaps = []
    roles = _roles(compose)
    for name, service in frontend_clients(compose).items():
        names = CLIENT_TLS.get(_image(service))
        if names is None:
            gaps.append(f"{name}: no known TLS settings for {service['image']}")
            continue
        environment = _environment(service)
        mount = cert_mount(service)
        if mount is None or mount[1] not in roles:
            gaps.append(f"{name}: no folder of {CERTS_VOLUME} mounted")
            continue
        for setting in names:
            value = environment.get(setting, "")
            path = on_host(service, value, root) if value else None
            if path is None or not path.is_file():
                gaps.append(f"{name}: {setting} is {value!r}, not a file of its folder")
    return gaps


def frontend_tls_gaps(compose: dict[str, Any], root: Path) -> list[str]:
    """What lets the frontend (or a node) take a client without a certificate of the CA."""
    server = compose["services"]["temporal"]
    environment = _environment(server)
    gaps = []
    if environment.get("TEMPORAL_TLS_REQUIRE_CLIENT_AUTH") != "true":
        gaps.append("TEMPORAL_TLS_REQUIRE_CLIENT_AUTH is not true")
    for setting in SERVER_TLS:
        path = on_host(server, environment.get(setting, ""), root)
        if path is None or not path.is_file():
            gaps.append(f"{setting} is not a file of its certificate folder")
    return gaps


def test_every_client_of_the_frontend_presents_a_certificate(
    compose: dict[str, Any], made_certs: Path
) -> None:
    clients = frontend_clients(compose)

    # Registration, the operators' CLI, the Web UI, the worker and the API; not migrate.
    assert set(clients) == {"temporal-register", "temporal-admin-tools", "temporal-ui",
                            "worker", "api"}
    assert client_tls_gaps(compose, made_certs) == []


@pytest.mark.parametrize(("service", "setting"), [
    ("worker", "QI_TEMPORAL_TLS_CLIENT_KEY"), ("api", "QI_TEMPORAL_TLS_CLIENT_CERT"),
    ("temporal-ui", "TEMPORAL_TLS_CERT"), ("temporal-register", "TEMPORAL_TLS_CLIENT_CERT_PATH"),
])
def test_a_client_without_its_certificate_is_caught(
    compose: dict[str, Any], made_certs: Path, service: str, setting: str
) -> None:
    broken = copy.deepcopy(compose)
    del broken["services"][service]["environment"][setting]

    assert client_tls_gaps(broken, made_certs) == [
        f"{service}: {setting} is '', not a file of its folder"]


def test_a_new_client_of_the_frontend_without_certificates_is_caught(
    compose: dict[str, Any], made_certs: Path
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["migrate"]["environment"]["QI_TEMPORAL_ADDRESS"] = FRONTEND

    assert client_tls_gaps(broken, made_certs) == [f"migrate: no folder of {CERTS_VOLUME} mounted"]


def test_the_frontend_and_its_nodes_take_only_certificates_of_the_deployments_ca(
    compose: dict[str, Any], made_certs: Path
) -> None:
    server = compose["services"]["temporal"]
    environment = _environment(server)
    role, names = _roles(compose)[cert_mount(server)[1]]  # type: ignore[index]

    assert frontend_tls_gaps(compose, made_certs) == []
    assert role == "server"
    # Nodes and the server's own worker check each other's certificate by the name it carries.
    assert environment["TEMPORAL_TLS_INTERNODE_SERVER_NAME"] in names
    assert environment["TEMPORAL_TLS_FRONTEND_SERVER_NAME"] in names
    assert FRONTEND.split(":")[0] in names  # the name every client dials
    # Client certificates are checked against the same CA the server's was made by.
    for setting in ("TEMPORAL_TLS_SERVER_CA_CERT", "TEMPORAL_TLS_CLIENT1_CA_CERT",
                    "TEMPORAL_TLS_CLIENT2_CA_CERT"):
        assert on_host(server, environment[setting], made_certs) == \
            made_certs / "temporal" / "ca.pem"


@pytest.mark.parametrize(("setting", "value"), [
    ("TEMPORAL_TLS_REQUIRE_CLIENT_AUTH", "false"), ("TEMPORAL_TLS_CLIENT2_CA_CERT", ""),
])
def test_a_frontend_that_would_take_any_client_is_caught(
    compose: dict[str, Any], made_certs: Path, setting: str, value: str
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["temporal"]["environment"][setting] = value

    assert len(frontend_tls_gaps(broken, made_certs)) == 1


def test_every_client_trusts_the_ca_that_made_the_servers_certificate(
    compose: dict[str, Any], made_certs: Path
) -> None:
    server_ca = (made_certs / "temporal" / "ca.pem").read_bytes()
    for name, service in frontend_clients(compose).items():
        ca_setting = CLIENT_TLS[_image(service)][2]
        path = on_host(service, _environment(service)[ca_setting], made_certs)
        assert path is not None
        assert path.read_bytes() == server_ca, name
        cert = x509.load_pem_x509_certificate(
            (path.parent / "cert.pem").read_bytes())
        ca = x509.load_pem_x509_certificate(server_ca)
        PolicyBuilder().store(Store([ca])).build_client_verifier().verify(cert, [])


def test_the_certificates_are_made_before_anything_reads_or_needs_them(
    compose: dict[str, Any],
) -> None:
    assert unawaited_certs(compose) == []
    # Done once and done: a one-shot with no network, run as compose runs it.
    certs = compose["services"]["certs"]
    assert (certs["restart"], certs["network_mode"]) == ("no", "none")


@pytest.mark.parametrize("service", ["temporal", "temporal-ui", "worker", "api"])
def test_a_service_that_does_not_wait_for_the_certificates_is_caught(
    compose: dict[str, Any], service: str
) -> None:
    broken = copy.deepcopy(compose)
    del broken["services"][service]["depends_on"]["certs"]

    assert unawaited_certs(broken) == [service]


def test_each_service_mounts_its_own_folder_and_none_mounts_the_ca_key(
    compose: dict[str, Any],
) -> None:
    roles = _roles(compose)
    mounts = {name: cert_mount(s) for name, s in compose["services"].items() if cert_mount(s)}
    folders = {name: mount[1] for name, mount in mounts.items() if name != "certs"}

    assert mounts["certs"] == ("/certs", "")  # the one writer sees the whole volume
    assert set(folders.values()) <= set(roles)
    assert "ca" not in folders.values()
    # Only the two admin-tools services share a folder: they are the same operator tool.
    shared = {f for f in folders.values() if list(folders.values()).count(f) > 1}
    assert shared == {"temporal-admin"}
    readers = {name: s for name, s in compose["services"].items() if name in folders}
    assert all(v.get("read_only") for s in readers.values()
               for v in s["volumes"] if isinstance(v, dict))


def test_the_project_images_folders_belong_to_the_user_the_dockerfile_makes(
    compose: dict[str, Any],
) -> None:
    uid = re.search(r"useradd [^\n]*--uid (\d+)", (REPO / "Dockerfile").read_text())
    owners = {spec.split(":")[0]: spec.split(":")[2] for spec in certs_args(compose)}
    project_folders = {cert_mount(s)[1] for s in qi_services(compose).values()  # type: ignore[index]
                       if cert_mount(s)}

    assert uid is not None
    assert project_folders == {"worker", "api"}
    assert {owners[f] for f in project_folders} == {uid.group(1)}


@pytest.mark.parametrize("service", ["worker", "api"])
def test_a_project_client_configured_as_in_the_stack_builds_its_tls(
    compose: dict[str, Any], made_certs: Path, service: str
) -> None:
    spec = compose["services"][service]
    environment = _environment(spec)
    files = {name: on_host(spec, environment[f"QI_{name.upper()}"], made_certs)
             for name in ("temporal_tls_client_cert", "temporal_tls_client_key",
                          "temporal_tls_server_ca_cert")}
    settings = Settings(_env_file=None, temporal_address=environment["QI_TEMPORAL_ADDRESS"],
                        **files)  # type: ignore[call-arg]

    config = client_config(settings, {"TEMPORAL_CONFIG_FILE": str(made_certs / "absent.toml")})

    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == (made_certs / service / "cert.pem").read_bytes()
    assert tls.client_private_key == (made_certs / service / "key.pem").read_bytes()
    assert tls.server_root_ca_cert == (made_certs / service / "ca.pem").read_bytes()
    # No name override: the host it dials is a name the server's certificate carries.
    server = x509.load_pem_x509_certificate((made_certs / "temporal" / "cert.pem").read_bytes())
    ca = x509.load_pem_x509_certificate(tls.server_root_ca_cert)
    host = config["target_host"].split(":")[0]
    assert tls.domain is None
    PolicyBuilder().store(Store([ca])).build_server_verifier(DNSName(host)).verify(server, [])


def test_the_web_ui_checks_the_frontends_name_and_writes_nothing(
    compose: dict[str, Any],
) -> None:
    environment = _environment(compose["services"]["temporal-ui"])
    server_names = _roles(compose)["temporal"][1]

    assert environment["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    assert environment["TEMPORAL_TLS_SERVER_NAME"] in server_names
    assert environment["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert environment["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")


def test_the_web_ui_sends_the_codec_server_nothing_it_would_refuse(
    compose: dict[str, Any],
) -> None:
    environment = _environment(compose["services"]["temporal-ui"])
    ui_origin = _environment(compose["services"]["api"])["QI_UI_ORIGIN"]
    cors = CodecCors(app=lambda *_: None, origin=ui_origin).cors  # type: ignore[arg-type]

    # The UI sends the browser's cookies: the codec server takes a signed-in browser's session
    # cookie from the UI's origin, so it allows CORS credentials for that origin, and no other.
    assert environment["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert cors.simple_headers.get("Access-Control-Allow-Credentials") == "true"
    assert cors.is_allowed_origin(ui_origin)
    assert not cors.is_allowed_origin("http://localhost:8081")
    # It takes the API's own bearer tokens, never the UI sign-in's access token.
    assert environment["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "false"


def test_web_ui_sign_in_is_there_to_turn_on_and_off_by_default(
    compose: dict[str, Any], compose_text: str
) -> None:
    ui = compose["services"]["temporal-ui"]
    environment = _environment(ui)
    readme = (REPO / "README.md").read_text()
    driven = {name: re.fullmatch(r"\$\{(\w+):-[^}]*\}", str(ui["environment"][name]))
              for name in UI_AUTH}

    assert environment["TEMPORAL_AUTH_ENABLED"] == "false"
    # Each is set from .env, and the README says what each is for.
    variables = {name: match.group(1) for name, match in driven.items() if match}
    assert set(variables) == set(UI_AUTH)
    assert [v for v in variables.values() if f"`{v}`" not in readme] == []
    # The client secret never sits in the compose file or .env: an optional env file holds it.
    assert "TEMPORAL_AUTH_CLIENT_SECRET" not in ui["environment"]
    (secret_file,) = ui["env_file"]
    assert secret_file["required"] is False
    example = REPO / "deploy" / "temporal-ui" / "auth-secret.env.example"
    assert re.search(r"^TEMPORAL_AUTH_CLIENT_SECRET=$", example.read_text(), re.M)
    assert "UI_AUTH_SECRET_FILE" in readme


def test_every_variable_the_stack_reads_is_in_the_env_example(compose_text: str) -> None:
    variables = {re.match(r"\w+", e).group(0) for e in _expressions(compose_text)  # type: ignore[union-attr]
                 if not e.startswith("$")}
    example = (REPO / ".env.example").read_text()

    assert variables
    assert [v for v in sorted(variables) if not re.search(rf"^#? ?{v}=", example, re.M)] == []


def test_migrate_needs_no_certificate_because_it_never_calls_temporal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QI_", "TEMPORAL_"))}
    # A Temporal address where nothing listens: migrating must not care.
    env.update(QI_DATA_DIR=str(tmp_path), QI_TEMPORAL_ADDRESS="127.0.0.1:9",
               QI_DATABASE_URL=f"sqlite:///{tmp_path / 'read-model.sqlite3'}")

    done = subprocess.run([sys.executable, "-m", "cli", "migrate"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert "Read model at the latest schema" in done.stdout
