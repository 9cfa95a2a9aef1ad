"""The certificates of the compose stack's mutual TLS, made or installed by its `certs` one-shot.

    python make_certs.py DIR NAME:ROLE:UID[:DNS,...] ...

Each NAME gets a folder DIR/NAME holding `ca.pem` (the CA every certificate chains to),
`cert.pem` and `key.pem`, owned by UID (the user NAME's container runs as) and readable by it
alone; each service mounts its own folder and nothing else. ROLE `server` (the Temporal server,
whose nodes also call each other) is for TLS servers and clients, and carries the DNS names
clients reach it by; ROLE `client` is for clients alone and carries NAME.

Made (the default): an ECDSA P-256 CA, valid for ten years, whose key stays in DIR/ca; and for
each NAME a key and a certificate valid for a year. A later run keeps every file that is still
good: a certificate is made again only if it no longer chains to the CA, lacks a name or usage
asked for, does not match its key, or has fewer than RENEW_DAYS left.

Supplied: when the folder $TLS_SUPPLIED_DIR holds a `ca.pem`, nothing is made. That CA and,
for every NAME, `NAME.pem` (the certificate, then any intermediates) and `NAME.key` are checked
as above and installed; one missing or wrong file stops the run before anything is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509 import DNSName
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

CA_DAYS = 3650
CERT_DAYS = 365
RENEW_DAYS = 30
SKEW = timedelta(minutes=5)  # valid from a little before now: clocks differ between hosts
CA_FOLDER = "ca"
CA_CERT, CERT, KEY = "ca.pem", "cert.pem", "key.pem"
SUPPLIED = "TLS_SUPPLIED_DIR"
ORGANISATION = "quality-interventions"


class Refused(Exception):
    """A bad argument or supplied file: one line saying which, and nothing written."""


@dataclass(frozen=True)
class Holder:
    """One service's certificate: its folder, whether it serves, its container's user, its
    DNS names."""

    name: str
    server: bool
    uid: int
    dns: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str) -> Holder:
        parts = spec.split(":")
        if (len(parts) not in (3, 4) or not parts[0] or parts[0] == CA_FOLDER
                or "/" in parts[0] or parts[1] not in ("server", "client")
                or not parts[2].isdigit()):
            raise Refused(f"{spec!r}: expected NAME:server:UID:DNS,... or NAME:client:UID")
        dns = tuple(n for n in parts[3].split(",") if n) if len(parts) == 4 else ()
        if parts[1] == "server" and not dns:
            raise Refused(f"{spec!r}: a server needs the DNS names its clients reach it by")
        return cls(parts[0], parts[1] == "server", int(parts[2]), dns or (parts[0],))

    @property
    def usages(self) -> list[x509.ObjectIdentifier]:
        if self.server:
            return [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        return [ExtendedKeyUsageOID.CLIENT_AUTH]


@dataclass(frozen=True)
class Issued:
    """A certificate chain (leaf first) and the key of its leaf."""

    chain: list[x509.Certificate]
    key: CertificateIssuerPrivateKeyTypes

    def pem(self) -> tuple[bytes, bytes]:
        certs = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)
        key = self.key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        return certs, key


def _public(key: CertificateIssuerPrivateKeyTypes | x509.Certificate) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def problem(holder: Holder, issued: Issued, ca: x509.Certificate, now: datetime) -> str | None:
    """Why `issued` may not serve `holder` under `ca` at `now`, or None."""
    leaf, intermediates = issued.chain[0], issued.chain[1:]
    if _public(leaf) != _public(issued.key):
        return "the certificate does not match its key"
    policy = PolicyBuilder().store(Store([ca])).time(now)
    # Temporal reads no name from a client's certificate, so one without any may call it.
    unnamed = policy.extension_policies(
        ca_policy=ExtensionPolicy.webpki_defaults_ca(),
        ee_policy=ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.SubjectAlternativeName, Criticality.AGNOSTIC, None))
    try:
        # A client verifier wants clientAuth, a server verifier serverAuth and each DNS name.
        unnamed.build_client_verifier().verify(leaf, intermediates)
        if holder.server:
            for name in holder.dns:
                policy.build_server_verifier(DNSName(name)).verify(leaf, intermediates)
    except VerificationError as error:
        return f"not valid for {holder.name} under this CA ({error})"
    return None


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(now: datetime) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(f"{ORGANISATION} Temporal CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SKEW).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued([cert], key)


def make_leaf(holder: Holder, ca: Issued, now: datetime) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = ca.chain[0]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(holder.name)).issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SKEW).not_valid_after(now + timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(holder.usages), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in holder.dns]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued([cert], key)


def read_issued(certs: Path, key: Path) -> Issued:
    """The chain and key in two PEM files; Refused, naming the file, if either is unusable."""
    for path in (certs, key):
        if not path.is_file():
            raise Refused(f"{path}: no such file")
    try:
        chain = x509.load_pem_x509_certificates(certs.read_bytes())
    except ValueError:
        raise Refused(f"{certs}: not a PEM certificate") from None
    try:
        loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
    except (TypeError, ValueError):
        raise Refused(f"{key}: not an unencrypted PEM private key") from None
    if not isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise Refused(f"{key}: an ECDSA or RSA key is needed")
    if not chain:
        raise Refused(f"{certs}: holds no certificate")
    return Issued(chain, loaded)


def _kept(holder: Holder, folder: Path, ca: x509.Certificate, now: datetime) -> bool:
    """Whether the folder's certificate may stay: good now and in RENEW_DAYS, with exactly the
    names and usages asked for."""
    try:
        issued = read_issued(folder / CERT, folder / KEY)
    except Refused:
        return False
    leaf = issued.chain[0]
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return (problem(holder, issued, ca, now) is None
            and problem(holder, issued, ca, now + timedelta(days=RENEW_DAYS)) is None
            and sorted(names.get_values_for_type(x509.DNSName)) == sorted(holder.dns)
            and list(usages) == holder.usages
            and (folder / CA_CERT).is_file()
            and (folder / CA_CERT).read_bytes() == ca.public_bytes(serialization.Encoding.PEM))


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` at once (a reader never sees half a file), created with `mode`."""
    staged = path.with_name(f".{path.name}.new")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(staged, path)


def _hand_over(folder: Path, uid: int) -> None:
    """The folder to its service's user alone: certificates readable, the key its own."""
    modes = {folder: 0o500, folder / CA_CERT: 0o444, folder / CERT: 0o444, folder / KEY: 0o400}
    for path, mode in modes.items():
        if os.geteuid() == 0:  # only root may give files away; in the stack it runs as root
            os.chown(path, uid, uid)
        path.chmod(mode)


def _install(folder: Path, ca_pem: bytes, issued: Issued) -> None:
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)  # writable by this run, whoever owned it
    certs, key = issued.pem()
    _write(folder / CA_CERT, ca_pem, 0o600)
    _write(folder / CERT, certs, 0o600)
    _write(folder / KEY, key, 0o600)


def _ca(root: Path, now: datetime) -> tuple[Issued, bool]:
    """The CA in root/ca, made if missing or near its end; whether it was made."""
    folder = root / CA_FOLDER
    try:
        ca = read_issued(folder / CA_CERT, folder / "ca.key")
        if ca.chain[0].not_valid_after_utc > now + timedelta(days=RENEW_DAYS):
            return ca, False
    except Refused:
        pass
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca = make_ca(now)
    certs, key = ca.pem()
    _write(folder / "ca.key", key, 0o600)
    _write(folder / CA_CERT, certs, 0o644)
    return ca, True


def make(root: Path, holders: Sequence[Holder], now: datetime) -> list[str]:
    """Make what is missing or no longer good; report a line for each holder."""
    ca, made = _ca(root, now)
    ca_cert = ca.chain[0]
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    report = [f"CA: {'made' if made else 'kept'}, until {ca_cert.not_valid_after_utc:%Y-%m-%d}"]
    for holder in holders:
        folder = root / holder.name
        if folder.is_dir() and _kept(holder, folder, ca_cert, now):
            outcome = "kept"
        else:
            _install(folder, ca_pem, make_leaf(holder, ca, now))
            outcome = "made"
        _hand_over(folder, holder.uid)
        until = x509.load_pem_x509_certificate((folder / CERT).read_bytes()).not_valid_after_utc
        report.append(f"{holder.name}: {outcome}, until {until:%Y-%m-%d}")
    return report


def install_supplied(root: Path, supplied: Path, holders: Sequence[Holder],
                     now: datetime) -> list[str]:
    """Check every supplied file first, then install them all."""
    try:
        ca = x509.load_pem_x509_certificate((supplied / CA_CERT).read_bytes())
    except ValueError:
        raise Refused(f"{supplied / CA_CERT}: not a PEM certificate") from None
    checked = []
    for holder in holders:
        certs, key = supplied / f"{holder.name}.pem", supplied / f"{holder.name}.key"
        issued = read_issued(certs, key)
        if reason := problem(holder, issued, ca, now):
            raise Refused(f"{certs}: {reason}")
        checked.append((holder, issued))
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    report = []
    for holder, issued in checked:
        folder = root / holder.name
        _install(folder, ca_pem, issued)
        _hand_over(folder, holder.uid)
        report.append(f"{holder.name}: installed from {supplied}, until "
                      f"{issued.chain[0].not_valid_after_utc:%Y-%m-%d}")
    return report


def main(argv: Sequence[str]) -> int:
    try:
        if len(argv) < 2:
            raise Refused("usage: make_certs.py DIR NAME:ROLE:UID[:DNS,...] ...")
        root = Path(argv[0])
        holders = [Holder.parse(spec) for spec in argv[1:]]
        if len({h.name for h in holders}) != len(holders):
            raise Refused("each NAME may be given once")
        if not root.is_dir():
            raise Refused(f"{root}: no such folder")
        now = datetime.now(UTC)
        supplied = Path(os.environ.get(SUPPLIED) or "/nonexistent")
        if (supplied / CA_CERT).is_file():
            report = install_supplied(root, supplied, holders, now)
        else:
            report = make(root, holders, now)
    except Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
