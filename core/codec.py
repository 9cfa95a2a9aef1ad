"""Sealing payloads: every payload the service hands Temporal is encrypted with AES-256-GCM.

A sealed payload's metadata says only `encoding: binary/encrypted` and the ID of the key that
sealed it (`encryption-key-id`); its data is a 12-byte nonce followed by the ciphertext of the
whole original payload (metadata and data), authenticated together with the key ID. A payload
without that encoding is passed through as it is, so histories written before sealing still
decode and replay.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from core.keys import KeyRing

__all__ = ["ENCODING", "KEY_ID", "SealError", "SealingCodec", "sealing_converter"]

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed payload that cannot be opened: its key is not held, or it was altered."""


class SealingCodec(PayloadCodec):
    """Seals with the ring's current key; opens with whichever key a payload names.

    `reload` reads the ring again when a payload names a key not yet loaded: another process
    rotated the key file, and this one takes the new ring without a restart."""

    def __init__(self, keys: KeyRing, reload: Callable[[], KeyRing] | None = None) -> None:
        self._reload = reload
        self._load(keys)

    def _load(self, keys: KeyRing) -> None:
        self._current = keys.current
        self._ciphers = {key_id: AESGCM(key.secret) for key_id, key in keys.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id = self._current.encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before sealing, or never sealed
        key_id = payload.metadata.get(KEY_ID, b"")
        cipher = self._cipher(key_id.decode(errors="replace"))
        if cipher is None:
            raise SealError(f"payload sealed with key {key_id.decode(errors='replace')!r}, "
                            "which is not in the key file")
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, key_id))
        except InvalidTag:
            raise SealError("a sealed payload does not open with the key it names: "
                            "it was altered") from None

    def _cipher(self, key_id: str) -> AESGCM | None:
        if key_id not in self._ciphers and self._reload is not None:
            self._load(self._reload())
        return self._ciphers.get(key_id)


def sealing_converter(
    keys: KeyRing, reload: Callable[[], KeyRing] | None = None
) -> DataConverter:
    """The project's converter (pydantic models as JSON) with every payload sealed.

    Failures carry their message and stack trace in a sealed payload too (the SDK's encoded
    attributes): an exception's text may quote what a user typed."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=SealingCodec(keys, reload),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
