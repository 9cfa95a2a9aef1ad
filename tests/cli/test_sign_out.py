"""`qi logout` when the service cannot be reached: the sign-in is forgotten here, and the line
says the token still works at the service and how to have it revoked (exit 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from cli.credentials import Credentials, load, save
from cli.exit_codes import EXIT_UNAVAILABLE
from tests.processes import free_port


def test_signing_out_of_an_unreachable_service_forgets_the_token_and_says_it_was_not_revoked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QI_CREDENTIALS_FILE", str(tmp_path / "sign-in" / "credentials.json"))
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    save(Credentials(url=url, token="qi_" + "x" * 43, user="c.okafor", role="coordinator"))

    done = CliRunner().invoke(cli, ["logout"])

    assert done.exit_code == EXIT_UNAVAILABLE
    assert "signed out here, but the token was not revoked" in done.output
    assert "qi tokens revoke" in done.output
    assert load() is None


def test_a_sign_in_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "credentials.json"
    monkeypatch.setenv("QI_CREDENTIALS_FILE", str(path))
    path.write_text(json.dumps({"url": "http://127.0.0.1:1", "token": "t", "user": "u",
                                "role": "viewer"}))
    path.chmod(0o644)

    with pytest.raises(PermissionError, match="can be read by others"):
        load()
