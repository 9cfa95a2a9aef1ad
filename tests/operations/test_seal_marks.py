"""The mark the codec gives a payload it opened from the service's own seal, and what becomes
of one that will not open; the key file read again when it changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from core.codec import (
    ENCODING,
    KEY_ID,
    OPENED_WITH,
    SEAL_ID,
    SEALED_FOR,
    UNOPENED,
    SealError,
    SealingCodec,
    sealing_converter,
)
from core.keys import KeyFile, KeyRing, KeysUnavailable, create_key_file, write_keys
from models.commands import Escalate
from models.sealing import Unsealed, opened_with, refusal, seal_id, sealed_for

ESCALATE = Payload(metadata={"encoding": b"json/plain"},
                   data=json.dumps({"actor": "dean.patel", "level": "dean",
                                    "reason": "No reply"}).encode())
CONTEXT = WorkflowSerializationContext(namespace="default", workflow_id="intervention-1")


def _as_the_service(codec: SealingCodec) -> SealingCodec:
    return codec.with_context(CONTEXT)


async def test_what_the_service_sealed_opens_marked_with_its_key() -> None:
    ring = KeyRing.generate()
    codec = _as_the_service(SealingCodec(ring))
    (sealed,) = await codec.encode([ESCALATE])
    (opened,) = await codec.decode([sealed])

    assert opened.metadata[OPENED_WITH] == ring.current.encode()
    assert opened.data == ESCALATE.data
    # Opened outside the SDK (the codec server), it is exactly what was sealed.
    assert await SealingCodec(ring).decode([sealed]) == [ESCALATE]


async def test_what_a_bare_encode_sealed_opens_without_a_mark() -> None:
    ring = KeyRing.generate()
    (sealed,) = await SealingCodec(ring).encode([ESCALATE])

    assert await _as_the_service(SealingCodec(ring)).decode([sealed]) == [ESCALATE]


@pytest.mark.parametrize("mark", [OPENED_WITH, SEALED_FOR, SEAL_ID])
async def test_a_mark_that_arrives_from_outside_is_dropped(mark: str) -> None:
    ring = KeyRing.generate()
    forged = Payload()
    forged.CopyFrom(ESCALATE)
    forged.metadata[mark] = CONTEXT.workflow_id.encode()
    (bare,) = await SealingCodec(ring).encode([forged])  # a mark sealed inside, by a reader
    codec = _as_the_service(SealingCodec(ring))

    assert await codec.decode([forged, bare]) == [ESCALATE, ESCALATE]


async def test_a_service_seal_names_its_intervention_and_is_told_from_every_other() -> None:
    ring = KeyRing.generate()
    converter = sealing_converter(ring).with_context(CONTEXT)
    command = Escalate.model_validate_json(ESCALATE.data)
    first, second = [(await converter.encode([command]))[0] for _ in range(2)]
    elsewhere = sealing_converter(ring).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="intervention-2"))
    (copied,) = await elsewhere.decode([first], [Escalate])
    opened = [(await converter.decode([p], [Escalate]))[0] for p in (first, second, first)]

    # Wherever it is opened, a seal names the intervention it was made for, and its own nonce.
    assert [sealed_for(c) for c in (*opened, copied)] == [CONTEXT.workflow_id] * 4
    assert [seal_id(c) for c in opened] == [
        first.data[:12].hex(), second.data[:12].hex(), first.data[:12].hex()]
    assert first.data[:12] != second.data[:12]
    assert seal_id(copied) == seal_id(opened[0])
    # The name is inside the seal: not in the clear, and no reader can change it unseen.
    assert CONTEXT.workflow_id.encode() not in first.SerializeToString()


async def test_a_seal_made_for_an_activity_names_no_intervention() -> None:
    # An activity's input and result: sealed by the service, but no start or command.
    ring = KeyRing.generate()
    activity = ActivitySerializationContext(
        namespace="default", activity_id="1", activity_type="plan_deadlines",
        activity_task_queue="q", workflow_id=CONTEXT.workflow_id, workflow_type="Intervention",
        is_local=False)
    sealed = await sealing_converter(ring).with_context(activity).encode(
        [Escalate.model_validate_json(ESCALATE.data)])
    (command,) = await sealing_converter(ring).with_context(CONTEXT).decode(sealed, [Escalate])

    assert opened_with(command) == ring.current
    assert sealed_for(command) is None


@pytest.mark.parametrize("why", [Unsealed.unknown_key, Unsealed.altered])
async def test_a_payload_that_will_not_open_is_a_stand_in_refused_as_a_command(
    why: Unsealed
) -> None:
    ring = KeyRing.generate()
    sealer = _as_the_service(SealingCodec(KeyRing.generate() if why is Unsealed.unknown_key
                                          else ring))
    (sealed,) = await sealer.encode([ESCALATE])
    if why is Unsealed.altered:
        sealed = Payload(metadata=sealed.metadata,
                         data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    converter = sealing_converter(ring).with_context(CONTEXT)
    (stand_in,) = await converter._decode_payload_sequence([sealed])

    assert stand_in.metadata["encoding"] == UNOPENED
    with pytest.raises(ApplicationError) as refused:
        converter.payload_converter.from_payloads([stand_in], [Escalate])
    assert refused.value.message == refusal(Escalate, why)
    assert refused.value.non_retryable
    # Anything else that will not open (an activity's result) is an error the task retries.
    with pytest.raises(SealError):
        converter.payload_converter.from_payloads([stand_in], [dict])


async def test_the_converter_puts_the_mark_on_a_command_and_on_nothing_else() -> None:
    ring = KeyRing.generate()
    converter = sealing_converter(ring).with_context(CONTEXT)
    sealed = await converter.encode([Escalate.model_validate_json(ESCALATE.data)])
    (command,) = await converter.decode(sealed, [Escalate])
    (plain,) = await converter.decode([ESCALATE], [Escalate])

    assert opened_with(command) == ring.current
    assert opened_with(plain) is None
    # The mark is no field: it is never serialized, and the command reads the same either way.
    assert command.model_dump_json() == plain.model_dump_json()


def test_the_key_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = create_key_file(path)
    assert first is not None
    source = KeyFile(path)

    assert source.ring() is source.ring()  # unchanged: not read again
    rotated = first.rotated()
    write_keys(path, rotated)
    assert source.ring() == rotated
    retired = KeyRing(current=rotated.current, keys={rotated.current: rotated.keys[
        rotated.current]})
    write_keys(path, retired)
    assert set(source.ring().keys) == {rotated.current}


def test_a_key_file_that_goes_missing_leaves_the_ring_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    create_key_file(path)
    source = KeyFile(path)
    ring = source.ring()
    path.unlink()

    assert source.ring() is ring
    with pytest.raises(KeysUnavailable, match="no such file"):
        KeyFile(path).ring()


async def test_a_key_taken_out_of_the_file_opens_nothing_more(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = create_key_file(path)
    assert first is not None
    rotated = first.rotated()
    write_keys(path, rotated)
    source = KeyFile(path)
    codec = SealingCodec(source.ring(), reload=source.ring)
    (old,) = await SealingCodec(first).encode([ESCALATE])
    assert await codec.decode([old]) == [ESCALATE]

    write_keys(path, KeyRing(current=rotated.current,
                             keys={rotated.current: rotated.keys[rotated.current]}))

    with pytest.raises(SealError, match="not in the key file"):
        await codec.decode([old])


async def test_a_payload_too_short_to_hold_a_nonce_is_altered_not_an_error() -> None:
    ring = KeyRing.generate()
    stub = Payload(metadata={"encoding": ENCODING, KEY_ID: ring.current.encode()}, data=b"x")

    (stand_in,) = await _as_the_service(SealingCodec(ring)).decode([stub])
    assert stand_in.metadata["encoding"] == UNOPENED
    with pytest.raises(SealError, match="altered"):
        await SealingCodec(ring).decode([stub])
