"""Sealing payloads: every payload the service hands Temporal is encrypted with AES-256-GCM.

A sealed payload's metadata says only `encoding: binary/encrypted` and the ID of the key that
sealed it (`encryption-key-id`); its data is a 12-byte nonce followed by the ciphertext of the
whole original payload (metadata and data), authenticated together with the key ID. A payload
without that encoding is passed through as it is, so histories written before sealing still
decode and replay.

The service's own traffic and a bare call are told apart. The SDK encodes and decodes every
payload of a workflow, an update or an activity with a serialization context (`with_context`):
that is the service's clients and workers talking to Temporal. Then
- sealing also authenticates a note that the service sealed it (in the associated data, so only
  a key holder can add it, and it costs no byte);
- opening a seal that carries the note marks the opened payload with the key's ID
  (`OPENED_WITH`); the payload converter puts that mark on a decoded start or command
  (`models.sealing`), and the workflow refuses one without it. A mark arriving from outside
  is dropped;
- what is sealed for a workflow (a start, a command, a query's answer) names its workflow ID
  inside the seal (`SEALED_FOR`), and opening it marks it with the seal's nonce (`SEAL_ID`):
  the workflow refuses a command sealed for another intervention, or one it took before;
- a payload that will not open (a key not in the key file, or altered) becomes a stand-in
  that says why (`UNOPENED`) instead of an error: the worker decodes a workflow task's payloads
  before any handler runs, and an error there fails the task again and again, so one forged
  update would jam an intervention. Converting the stand-in refuses the start or command (no
  event is written), and raises `SealError` for anything else.
A bare `encode` or `decode` (the codec server's, for the Web UI and the `temporal` CLI) seals
without the note and opens exactly what was sealed, or raises `SealError`: what it seals opens
anywhere, but is never taken as a start or command.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable, Sequence
from typing import Any, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    PayloadConverter,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.exceptions import ApplicationError

from core.keys import KeyRing
from models.sealing import REFUSALS, Inbound, Unsealed, mark_opened
from workflows.sealing import refused

__all__ = [
    "ENCODING", "KEY_ID", "OPENED_WITH", "SEALED_FOR", "SEAL_ID", "UNOPENED", "SealError",
    "SealingCodec", "sealing_converter"]

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
# On a payload the SDK decoded: the ID of the key whose service seal it came out of.
OPENED_WITH = "qi-opened-with-key"
# Inside a service seal made for a workflow: its ID. On a payload the SDK decoded: that ID,
# and the seal's nonce in hex, which no other seal shares.
SEALED_FOR = "qi-sealed-for"
SEAL_ID = "qi-seal-id"
_MARKS = (OPENED_WITH, SEALED_FOR, SEAL_ID)
# The encoding of the stand-in for a payload that would not open, and why it would not.
UNOPENED = b"binary/unopened"
_WHY = "qi-unopened-why"
_DETAIL = "qi-unopened-detail"
_NONCE_BYTES = 12
_BY_THE_SERVICE = b"/sealed-by-the-service"


class SealError(ValueError):
    """A sealed payload that cannot be opened: its key is not held, or it was altered."""

    def __init__(self, message: str, why: Unsealed) -> None:
        super().__init__(message)
        self.why = why


class _Keys:
    """The ring's ciphers, shared by a codec and its copies with context. `reload`, if given,
    is asked for the ring before each batch is opened: the key file, read again when another
    process rotated it (a key added) or a key was taken out."""

    def __init__(self, keys: KeyRing, reload: Callable[[], KeyRing] | None) -> None:
        self._reload = reload
        self._load(keys)

    def _load(self, keys: KeyRing) -> None:
        self._ring = keys
        self.current = keys.current
        self.ciphers = {key_id: AESGCM(key.secret) for key_id, key in keys.keys.items()}

    def refresh(self) -> None:
        if self._reload is not None:
            ring = self._reload()
            if ring is not self._ring:
                self._load(ring)


def _without_marks(payload: Payload) -> Payload:
    if not any(mark in payload.metadata for mark in _MARKS):
        return payload
    stripped = Payload()
    stripped.CopyFrom(payload)
    for mark in _MARKS:
        if mark in stripped.metadata:
            del stripped.metadata[mark]
    return stripped


class SealingCodec(PayloadCodec, WithSerializationContext):
    """Seals with the ring's current key; opens with whichever key a payload names."""

    def __init__(self, keys: KeyRing, reload: Callable[[], KeyRing] | None = None) -> None:
        self._keys = _Keys(keys, reload)
        self._for_the_service = False
        self._workflow_id: str | None = None

    def with_context(self, context: SerializationContext) -> Self:
        """The codec the SDK uses for the service's own payloads (see the module's doc)."""
        codec = copy.copy(self)
        codec._for_the_service = True
        if isinstance(context, WorkflowSerializationContext):
            codec._workflow_id = context.workflow_id
        return codec

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self._keys.refresh()
        if self._for_the_service:
            return [self._open_for_the_service(payload) for payload in payloads]
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id = self._keys.current.encode()
        associated = key_id + _BY_THE_SERVICE if self._for_the_service else key_id
        nonce = os.urandom(_NONCE_BYTES)
        inside = _without_marks(payload)
        if self._for_the_service and self._workflow_id is not None:
            named = Payload()
            named.CopyFrom(inside)
            named.metadata[SEALED_FOR] = self._workflow_id.encode()
            inside = named
        plain = inside.SerializeToString()
        sealed = self._keys.ciphers[self._keys.current].encrypt(nonce, plain, associated)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def open(self, payload: Payload) -> Payload:
        """Exactly what was sealed (without the intervention a service seal names); a payload
        that is not sealed, as it is. With the keys as loaded: `decode` reads the key file
        again first."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before sealing, or never sealed
        return _without_marks(self._open(payload)[0])

    def _open(self, payload: Payload) -> tuple[Payload, bool]:
        """The payload sealed, and whether the service sealed it; `SealError` if it will not
        open."""
        key_id = payload.metadata.get(KEY_ID, b"")
        named = key_id.decode(errors="replace")
        cipher = self._keys.ciphers.get(named)
        if cipher is None:
            raise SealError(f"payload sealed with key {named[:40]!r}, which is not in the key "
                            "file", Unsealed.unknown_key)
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        for associated, by_the_service in ((key_id + _BY_THE_SERVICE, True), (key_id, False)):
            try:
                return Payload.FromString(cipher.decrypt(nonce, sealed, associated)), by_the_service
            except InvalidTag:
                continue
            except (ValueError, DecodeError):  # too short to hold a nonce; not a payload
                break
        raise SealError("a sealed payload does not open with the key it names: it was altered",
                        Unsealed.altered)

    def _open_for_the_service(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return _without_marks(payload)  # a mark is the codec's to give
        try:
            opened, by_the_service = self._open(payload)
        except SealError as error:
            return Payload(metadata={"encoding": UNOPENED, _WHY: error.why.name.encode(),
                                     _DETAIL: str(error).encode()})
        sealed_for = opened.metadata.get(SEALED_FOR)
        opened = _without_marks(opened)  # fresh out of the seal: ours to change
        if by_the_service:
            opened.metadata[OPENED_WITH] = payload.metadata[KEY_ID]
            opened.metadata[SEAL_ID] = payload.data[:_NONCE_BYTES].hex().encode()
            if sealed_for is not None:
                opened.metadata[SEALED_FOR] = sealed_for
        return opened


def _unopened(payload: Payload, type_hint: Any) -> Exception:
    """The stand-in for a payload that would not open, as the error converting it raises."""
    why = Unsealed.__members__.get(payload.metadata.get(_WHY, b"").decode(errors="replace"),
                                   Unsealed.not_sealed)
    if isinstance(type_hint, type) and issubclass(type_hint, Inbound):
        return refused(type_hint, why)
    return SealError(payload.metadata.get(_DETAIL, why.value.encode()).decode(errors="replace"),
                     why)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode(errors="replace")


class _PayloadConverter(PydanticPayloadConverter):
    """Pydantic models as JSON; a start or command carries the mark of the seal it came out
    of, and a payload that would not open is refused (see the module's doc)."""

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        hints: list[Any] = list(type_hints or [])
        for index, payload in enumerate(payloads):
            if payload.metadata.get("encoding") == UNOPENED:
                raise _unopened(payload, hints[index] if index < len(hints) else None)
        values = super().from_payloads(payloads, type_hints)
        for value, payload in zip(values, payloads, strict=True):
            key_id = payload.metadata.get(OPENED_WITH)
            if key_id is not None and isinstance(value, Inbound):
                mark_opened(value, key_id.decode(errors="replace"),
                            sealed_for=_text(payload.metadata.get(SEALED_FOR)),
                            seal_id=_text(payload.metadata.get(SEAL_ID)))
        return values


class _FailureConverter(DefaultFailureConverterWithEncodedAttributes):
    """Failures carry their message and stack trace in a sealed payload (an exception's text
    may quote what a user typed), except the refusal of a start or command the service did not
    seal: its sentence is fixed (`models.sealing.REFUSALS`), and whoever sent the payload,
    perhaps with the bare `temporal` CLI, should read why it was refused."""

    _in_the_clear = DefaultFailureConverter()

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if isinstance(exception, ApplicationError) and exception.message in REFUSALS:
            self._in_the_clear.to_failure(exception, payload_converter, failure)
            failure.stack_trace = ""
        else:
            super().to_failure(exception, payload_converter, failure)


def sealing_converter(
    keys: KeyRing, reload: Callable[[], KeyRing] | None = None
) -> DataConverter:
    """The project's converter (pydantic models as JSON) with every payload sealed."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=_PayloadConverter,
        payload_codec=SealingCodec(keys, reload),
        failure_converter_class=_FailureConverter,
    )
