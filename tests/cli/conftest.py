"""`qi` signed in to a stand-in for the service (`tests.cli.stub_service`): the API's real
bodies and error format, without Temporal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.credentials import Credentials, save
from tests.cli.stub_service import Stub, running_stub


@pytest.fixture(scope="module")
def stub() -> Iterator[Stub]:
    with running_stub() as running:
        yield running


@pytest.fixture
def signed_in(stub: Stub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stub:
    """`qi` signed in to the stub here (QI_CREDENTIALS_FILE), with nothing received yet."""
    monkeypatch.setenv("QI_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    save(Credentials(url=stub.url, token="qi_" + "x" * 43, user="c.okafor", role="coordinator"))
    stub.received.clear()
    return stub
