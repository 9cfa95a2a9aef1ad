"""The keys that seal payloads: a key file holding several AES-256 keys, one of them current.

New payloads are sealed with the current key; a payload names the key it was sealed with, so
every key that sealed a payload still in a history stays in the file. Rotating adds a key and
makes it current; nothing is re-sealed and running interventions carry on.

The file is JSON, written with mode 0600:
`{"current": ID, "keys": [{"id": ID, "created": ISO 8601, "secret": base64url of 32 bytes}]}`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from models.errors import ErrorType, Problem, ProblemError

__all__ = [
    "Key", "KeyFile", "KeyRing", "KeysUnavailable", "create_key_file", "read_keys", "write_keys"]

KEY_BYTES = 32  # AES-256


class KeysUnavailable(ProblemError):
    """The key file is missing, unreadable or malformed: nothing can be sealed or opened."""

    def __init__(self, path: Path, rule: str) -> None:
        super().__init__([Problem(field=f"key file {path}", rule=rule)], ErrorType.INVALID_INPUT)


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes = field(repr=False)
    created: datetime

    @classmethod
    def generate(cls, now: datetime | None = None) -> Key:
        created = now or datetime.now(UTC)
        # Dated and random: unique without coordination, and it says how old a key is.
        key_id = f"k{created:%Y%m%d}-{secrets.token_hex(4)}"
        return cls(id=key_id, secret=secrets.token_bytes(KEY_BYTES), created=created)


@dataclass(frozen=True)
class KeyRing:
    """Every key that may open a payload, and the one that seals new ones."""

    current: str
    keys: Mapping[str, Key]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError(f"the current key {self.current} is not among the keys")

    @classmethod
    def generate(cls) -> KeyRing:
        key = Key.generate()
        return cls(current=key.id, keys={key.id: key})

    def rotated(self) -> KeyRing:
        """A new current key; the old ones stay, to open what they sealed."""
        key = Key.generate()
        return KeyRing(current=key.id, keys={**self.keys, key.id: key})

    def to_json(self) -> str:
        return json.dumps({
            "current": self.current,
            "keys": [
                {"id": k.id, "created": k.created.isoformat(),
                 "secret": base64.urlsafe_b64encode(k.secret).decode()}
                for k in self.keys.values()
            ],
        }, indent=2)

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        document = json.loads(text)
        keys = {}
        for entry in document["keys"]:
            secret = base64.urlsafe_b64decode(entry["secret"])
            if len(secret) != KEY_BYTES:
                raise ValueError(f"key {entry['id']} is not {KEY_BYTES} bytes")
            keys[entry["id"]] = Key(id=entry["id"], secret=secret,
                                    created=datetime.fromisoformat(entry["created"]))
        return cls(current=document["current"], keys=keys)


def read_keys(path: Path) -> KeyRing:
    """The key ring in `path`; `KeysUnavailable` with one line saying why not."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeysUnavailable(path, "no such file; create it with `qi keys create`") from None
    except OSError as exc:
        raise KeysUnavailable(path, f"cannot be read ({exc.strerror})") from None
    try:
        return KeyRing.from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        # Never the file's content in the message: it holds the secrets.
        raise KeysUnavailable(path, f"is not a key file ({type(exc).__name__})") from None


class KeyFile:
    """A key file as one process holds it: read again whenever it changes on disk, so a key
    added by `qi keys rotate` opens what it sealed, and a key taken out opens nothing more,
    without a restart. Asking costs one `stat` while the file stays as it was."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ring: KeyRing | None = None
        self._seen: tuple[int, int, int] | None = None

    def ring(self) -> KeyRing:
        """The ring the file holds now; `KeysUnavailable` if it cannot be read the first time.
        Once read, a file that goes missing or turns unreadable leaves the ring as it was: a
        secret being remounted must not stop the work."""
        try:
            status = self.path.stat()
            seen = (status.st_ino, status.st_mtime_ns, status.st_size)
            if self._ring is None or seen != self._seen:
                self._ring, self._seen = read_keys(self.path), seen
        except (OSError, KeysUnavailable):
            if self._ring is None:
                return read_keys(self.path)  # says why, in one line
        return self._ring


def _staged(path: Path, ring: KeyRing) -> Path:
    """The ring written in full beside `path`, mode 0600, under a name of its own."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(ring.to_json())
        file.flush()
        os.fsync(file.fileno())
    return staged


def write_keys(path: Path, ring: KeyRing) -> None:
    """Replace the key file at once (a reader sees the old or the new, never half)."""
    staged = _staged(path, ring)
    try:
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def create_key_file(path: Path) -> KeyRing | None:
    """A new key file with one key; None if the file exists already (it is left alone, and
    of two processes creating it at once, one wins and the other reads it)."""
    if path.exists():
        return None
    ring = KeyRing.generate()
    staged = _staged(path, ring)
    try:
        os.link(staged, path)  # fails if it exists: never a file half written, never two
    except FileExistsError:
        return None
    finally:
        staged.unlink(missing_ok=True)
    return ring
