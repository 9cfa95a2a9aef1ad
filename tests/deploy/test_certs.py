"""The stack's certificates, made for real by its `certs` command (deploy/certs/make_certs.py):
they chain to the CA with the names and usages each service needs, belong to each service's
user alone, are kept while good and made again when not, can be supplied instead, and carry a
real mutual-TLS handshake between the project's Temporal client and a server that demands them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import DNSName
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.temporal import connect
from tests.deploy.conftest import certs_args, run_certs
from tests.environments import key_file

FILES = ("ca.pem", "cert.pem", "key.pem")


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _specs(compose: dict[str, Any]) -> dict[str, tuple[str, int, list[str]]]:
    """NAME -> (role, uid, DNS names) from the certs command."""
    found = {}
    for spec in certs_args(compose):
        name, role, uid, *dns = spec.split(":")
        found[name] = (role, int(uid), dns[0].split(",") if dns else [name])
    return found


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _usages(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


@pytest.fixture
def fresh(compose: dict[str, Any], tmp_path: Path) -> Path:
    """A folder the certs command has just filled, for a test that changes it."""
    root = tmp_path / "certs"
    root.mkdir()
    done = run_certs(root, certs_args(compose))
    assert done.returncode == 0, done.stderr
    return root


def test_every_certificate_chains_to_the_ca_with_the_names_and_usages_it_needs(
    compose: dict[str, Any], made_certs: Path
) -> None:
    ca = _cert(made_certs / "ca" / "ca.pem")
    policy = PolicyBuilder().store(Store([ca]))
    specs = _specs(compose)

    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    for name, (role, _, dns) in specs.items():
        folder = made_certs / name
        cert = _cert(folder / "cert.pem")
        key = serialization.load_pem_private_key((folder / "key.pem").read_bytes(), None)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

        assert _cert(folder / "ca.pem") == ca, name
        assert key.public_key() == cert.public_key(), name
        assert names.get_values_for_type(x509.DNSName) == dns, name
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        policy.build_client_verifier().verify(cert, [])  # every one may call Temporal
        if role == "server":
            assert _usages(cert) == {ExtendedKeyUsageOID.SERVER_AUTH,
                                     ExtendedKeyUsageOID.CLIENT_AUTH}
            for host in dns:
                policy.build_server_verifier(DNSName(host)).verify(cert, [])
        else:
            # A client's certificate cannot pass for the server's.
            assert _usages(cert) == {ExtendedKeyUsageOID.CLIENT_AUTH}
            with pytest.raises(VerificationError):
                policy.build_server_verifier(DNSName(name)).verify(cert, [])
    assert specs["temporal"][0] == "server"
    assert [n for n, (role, _, _) in specs.items() if role == "server"] == ["temporal"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to other users")
def test_each_folder_is_its_services_user_alone_and_the_ca_key_roots(
    compose: dict[str, Any], made_certs: Path
) -> None:
    for name, (_, uid, _) in _specs(compose).items():
        folder = made_certs / name
        modes = {p.name: (p.stat().st_uid, stat.S_IMODE(p.stat().st_mode))
                 for p in [folder, *(folder / f for f in FILES)]}
        assert modes == {name: (uid, 0o500), "ca.pem": (uid, 0o444),
                         "cert.pem": (uid, 0o444), "key.pem": (uid, 0o400)}, name
    ca_key = made_certs / "ca" / "ca.key"
    assert (ca_key.stat().st_uid, stat.S_IMODE(ca_key.stat().st_mode)) == (0, 0o600)
    assert stat.S_IMODE((made_certs / "ca").stat().st_mode) == 0o700


def test_a_second_run_keeps_every_file(compose: dict[str, Any], fresh: Path) -> None:
    before = _snapshot(fresh)

    done = run_certs(fresh, certs_args(compose))

    assert done.returncode == 0, done.stderr
    assert _snapshot(fresh) == before
    assert [line.split(":")[1].split(",")[0].strip() for line in done.stdout.splitlines()] == \
        ["kept"] * (len(certs_args(compose)) + 1)


def test_a_certificate_no_longer_good_is_made_again_and_the_others_kept(
    compose: dict[str, Any], fresh: Path, tmp_path: Path
) -> None:
    # worker: a certificate from another CA; api: one of this CA with ten days left.
    other = tmp_path / "other"
    other.mkdir()
    assert run_certs(other, ["worker:client:0"]).returncode == 0
    shutil.copy(other / "worker" / "cert.pem", fresh / "worker" / "cert.pem")
    shutil.copy(other / "worker" / "key.pem", fresh / "worker" / "key.pem")
    _reissue(fresh, "api", days=10)
    before = _snapshot(fresh)

    done = run_certs(fresh, certs_args(compose))

    assert done.returncode == 0, done.stderr
    after = _snapshot(fresh)
    changed = {path.split("/")[0] for path in after if after[path] != before[path]}
    assert changed == {"worker", "api"}
    ca = _cert(fresh / "ca" / "ca.pem")
    for name in changed:
        cert = _cert(fresh / name / "cert.pem")
        PolicyBuilder().store(Store([ca])).build_client_verifier().verify(cert, [])
        assert cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=300)


def test_a_certificate_is_made_again_when_its_names_change(fresh: Path) -> None:
    done = run_certs(fresh, ["temporal:server:1000:temporal,temporal.internal"])

    assert done.returncode == 0, done.stderr
    cert = _cert(fresh / "temporal" / "cert.pem")
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["temporal", "temporal.internal"]


def _reissue(root: Path, name: str, days: int, without: type | None = None) -> None:
    """Replace NAME's certificate with one of the same CA, key and extensions (but `without`),
    ending in `days`."""
    ca_key = serialization.load_pem_private_key((root / "ca" / "ca.key").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    old = _cert(root / name / "cert.pem")
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(old.issuer)
               .public_key(old.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1))
               .not_valid_after(now + timedelta(days=days)))
    for extension in old.extensions:
        if without is None or not isinstance(extension.value, without):
            builder = builder.add_extension(extension.value, extension.critical)
    cert = builder.sign(ca_key, hashes.SHA256())
    path = root / name / "cert.pem"
    path.chmod(0o644)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _supply(source: Path, supplied: Path, names: list[str]) -> None:
    """Certificates made elsewhere, laid out as an operator supplies them."""
    supplied.mkdir()
    shutil.copy(source / "ca" / "ca.pem", supplied / "ca.pem")
    for name in names:
        shutil.copy(source / name / "cert.pem", supplied / f"{name}.pem")
        shutil.copy(source / name / "key.pem", supplied / f"{name}.key")


def test_supplied_certificates_are_installed_and_nothing_is_made(
    compose: dict[str, Any], made_certs: Path, tmp_path: Path
) -> None:
    supplied, root = tmp_path / "supplied", tmp_path / "certs"
    root.mkdir()
    _supply(made_certs, supplied, list(_specs(compose)))

    done = run_certs(root, certs_args(compose), supplied=supplied)

    assert done.returncode == 0, done.stderr
    assert not (root / "ca").exists()  # no CA of its own, so no CA key anywhere
    for name in _specs(compose):
        assert (root / name / "cert.pem").read_bytes() == (supplied / f"{name}.pem").read_bytes()
        assert (root / name / "key.pem").read_bytes() == (supplied / f"{name}.key").read_bytes()
        assert (root / name / "ca.pem").read_bytes() == (supplied / "ca.pem").read_bytes()
    assert all("installed" in line for line in done.stdout.splitlines())


def test_a_supplied_client_certificate_needs_no_name(
    compose: dict[str, Any], made_certs: Path, tmp_path: Path
) -> None:
    source, supplied, root = tmp_path / "source", tmp_path / "supplied", tmp_path / "certs"
    shutil.copytree(made_certs, source)
    root.mkdir()
    _reissue(source, "worker", days=100, without=x509.SubjectAlternativeName)
    _supply(source, supplied, list(_specs(compose)))

    done = run_certs(root, certs_args(compose), supplied=supplied)

    assert done.returncode == 0, done.stderr
    installed = _cert(root / "worker" / "cert.pem")
    with pytest.raises(x509.ExtensionNotFound):
        installed.extensions.get_extension_for_class(x509.SubjectAlternativeName)


@pytest.mark.parametrize(("swap", "reason"), [
    ("foreign", "not valid for worker under this CA"),
    ("client-as-server", "not valid for temporal under this CA"),
    ("missing", "no such file"),
    ("mismatched", "the certificate does not match its key"),
])
def test_a_wrong_supplied_file_stops_the_run_naming_it_and_nothing_is_written(
    compose: dict[str, Any], made_certs: Path, fresh: Path, tmp_path: Path, swap: str,
    reason: str
) -> None:
    supplied = tmp_path / "supplied"
    _supply(made_certs, supplied, list(_specs(compose)))
    broken = supplied / ("temporal.pem" if swap == "client-as-server" else "worker.pem")
    if swap == "foreign":
        shutil.copy(fresh / "worker" / "cert.pem", broken)  # the right name, another CA
        shutil.copy(fresh / "worker" / "key.pem", supplied / "worker.key")
    elif swap == "client-as-server":
        shutil.copy(supplied / "api.pem", broken)
        shutil.copy(supplied / "api.key", supplied / "temporal.key")
    elif swap == "missing":
        broken.unlink()
    else:
        shutil.copy(supplied / "api.key", supplied / "worker.key")
    before = _snapshot(fresh)

    done = run_certs(fresh, certs_args(compose), supplied=supplied)

    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {broken}: {reason}")
    assert done.stderr.count("\n") == 1
    assert _snapshot(fresh) == before


@pytest.mark.parametrize("spec", ["worker", "worker:peer:10001", "worker:client:me",
                                  "temporal:server:1000", "ca:client:0"])
def test_a_malformed_holder_is_one_line_and_nothing_is_written(
    tmp_path: Path, spec: str
) -> None:
    done = run_certs(tmp_path, [spec])

    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {spec!r}: ")
    assert done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


class MutualTlsProxy:
    """A TLS front for the dev server that, like the stack's frontend, admits only clients
    whose certificate the CA signed (OpenSSL checking what the SDK's rustls presents)."""

    def __init__(self, folder: Path, target: str) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH,
                                                  cafile=str(folder / "ca.pem"))
        self.context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.set_alpn_protocols(["h2"])  # gRPC
        host, port = target.split(":")
        self.target = (host, int(port))
        self.admitted = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self.context)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.admitted += 1  # past the handshake, so its certificate was accepted
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def close(self) -> None:
        self.server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()


@pytest.fixture
async def frontend(made_certs: Path, dev_env: WorkflowEnvironment
                   ) -> AsyncIterator[tuple[str, MutualTlsProxy]]:
    proxy = MutualTlsProxy(made_certs / "temporal", dev_env.client.service_client.config
                           .target_host)
    port = await proxy.start()
    yield f"127.0.0.1:{port}", proxy
    await proxy.close()


def _client_settings(address: str, folder: Path | None, ca: Path) -> Settings:
    tls: dict[str, object] = {}
    if folder is not None:
        tls = {"temporal_tls_client_cert": folder / "cert.pem",
               "temporal_tls_client_key": folder / "key.pem"}
    # Dialled by address, so the name the server's certificate carries is given.
    return Settings(_env_file=None, temporal_address=address, keys_file=key_file(),
                    temporal_tls_server_ca_cert=ca, temporal_tls_server_name="temporal",
                    **tls)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", ["worker", "api"])
async def test_the_projects_client_holding_its_certificate_is_admitted(
    made_certs: Path, frontend: tuple[str, MutualTlsProxy], name: str
) -> None:
    address, proxy = frontend
    folder = made_certs / name

    client = await connect(_client_settings(address, folder, folder / "ca.pem"))

    assert proxy.admitted >= 1
    assert await client.count_workflows("WorkflowType = 'NoSuchType'") is not None


@pytest.mark.parametrize("holder", ["none", "another CA"])
async def test_a_client_without_a_certificate_of_the_ca_is_turned_away(
    made_certs: Path, frontend: tuple[str, MutualTlsProxy], tmp_path: Path, holder: str
) -> None:
    address, proxy = frontend
    folder = None
    if holder == "another CA":
        assert run_certs(tmp_path, ["worker:client:0"]).returncode == 0
        folder = tmp_path / "worker"

    with pytest.raises(RuntimeError, match="Failed client connect"):
        await connect(_client_settings(address, folder, made_certs / "worker" / "ca.pem"))
    assert proxy.admitted == 0
