"""The key file and the codec: made private, rotated without losing old keys, refused in one
line when missing; payloads sealed, opened by the key they name, and plain ones let through."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from temporalio.api.common.v1 import Payload

from cli import cli
from core.codec import ENCODING, KEY_ID, SealError, SealingCodec
from core.keys import KeyRing, KeysUnavailable, create_key_file, read_keys, write_keys
from core.settings import Settings
from core.temporal import data_converter

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"note": "night rota"}')


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_file_and_its_folder_are_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "data" / "keys.json"
    ring = create_key_file(path)

    assert ring is not None
    assert (_mode(path.parent), _mode(path)) == (0o700, 0o600)
    assert read_keys(path) == ring
    assert create_key_file(path) is None  # never overwritten
    assert read_keys(path) == ring


def test_rotation_keeps_every_old_key_and_makes_a_new_one_current(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = create_key_file(path)
    assert first is not None
    write_keys(path, first.rotated())
    rotated = read_keys(path)

    assert rotated.current != first.current
    assert set(rotated.keys) == {first.current, rotated.current}
    assert _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]  # nothing staged is left


@pytest.mark.parametrize(("content", "rule"), [
    (None, "no such file; create it with `qi keys create`"),
    ("{not json", "is not a key file (JSONDecodeError)"),
    ('{"current": "k1", "keys": []}', "is not a key file (ValueError)"),
])
def test_a_missing_or_broken_key_file_is_one_line(
    tmp_path: Path, content: str | None, rule: str
) -> None:
    path = tmp_path / "keys.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(KeysUnavailable) as refused:
        read_keys(path)
    assert str(refused.value) == f"key file {path}: {rule}"


def test_an_unreadable_key_file_is_one_line(tmp_path: Path) -> None:
    # A folder where the file should be: unreadable even for root, who reads any mode.
    path = tmp_path / "keys.json"
    path.mkdir()
    with pytest.raises(KeysUnavailable) as refused:
        read_keys(path)
    assert str(refused.value) == f"key file {path}: cannot be read (Is a directory)"


def test_a_temporal_other_than_the_embedded_one_needs_the_key_file_named(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, temporal_address="temporal:7233",
                        keys_file=None)  # type: ignore[call-arg]
    with pytest.raises(KeysUnavailable, match="QI_KEYS_FILE is not set"):
        data_converter(settings)
    assert not (tmp_path / "keys.json").exists()


def test_the_embedded_stack_makes_its_key_file_on_first_use(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", temporal_address=None,
                        keys_file=None)  # type: ignore[call-arg]
    converter = data_converter(settings)

    path = tmp_path / "data" / "keys.json"
    assert isinstance(converter.payload_codec, SealingCodec)
    assert (_mode(path.parent), _mode(path)) == (0o700, 0o600)


async def test_a_sealed_payload_names_its_key_and_opens_to_the_original() -> None:
    ring = KeyRing.generate()
    codec = SealingCodec(ring)
    (sealed,) = await codec.encode([PLAIN])

    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == ring.current.encode()
    assert b"night rota" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [PLAIN]


async def test_payloads_written_before_sealing_pass_through() -> None:
    assert await SealingCodec(KeyRing.generate()).decode([PLAIN]) == [PLAIN]


async def test_old_payloads_open_after_rotation_and_new_ones_use_the_new_key() -> None:
    old = KeyRing.generate()
    (before,) = await SealingCodec(old).encode([PLAIN])
    rotated = SealingCodec(old.rotated())
    (after,) = await rotated.encode([PLAIN])

    assert after.metadata[KEY_ID] != before.metadata[KEY_ID]
    assert await rotated.decode([before, after]) == [PLAIN, PLAIN]


async def test_a_payload_under_an_unknown_key_or_altered_is_refused() -> None:
    codec = SealingCodec(KeyRing.generate())
    (stranger,) = await SealingCodec(KeyRing.generate()).encode([PLAIN])
    (sealed,) = await codec.encode([PLAIN])
    flipped = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    altered = Payload(metadata=sealed.metadata, data=flipped)

    with pytest.raises(SealError, match="not in the key file"):
        await codec.decode([stranger])
    with pytest.raises(SealError, match="altered"):
        await codec.decode([altered])


async def test_a_key_added_by_another_process_is_read_when_first_met(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    old = create_key_file(path)
    assert old is not None
    codec = SealingCodec(old, reload=lambda: read_keys(path))
    rotated = old.rotated()
    write_keys(path, rotated)
    (sealed,) = await SealingCodec(rotated).encode([PLAIN])

    assert await codec.decode([sealed]) == [PLAIN]


def test_qi_keys_creates_lists_and_rotates_without_printing_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    runner = CliRunner()

    created = runner.invoke(cli, ["keys", "create", "--file", str(path)])
    again = runner.invoke(cli, ["keys", "create", "--file", str(path)])
    rotated = runner.invoke(cli, ["keys", "rotate", "--file", str(path)])
    listed = runner.invoke(cli, ["keys", "list", "--file", str(path), "--json"])

    assert (created.exit_code, again.exit_code, rotated.exit_code) == (0, 2, 0)
    assert "exists already" in again.output
    ring = read_keys(path)
    rows = json.loads(listed.output)
    assert [(r["id"], r["current"]) for r in rows] == [
        (k, k == ring.current) for k in ring.keys]
    stored = [entry["secret"] for entry in json.loads(path.read_text())["keys"]]
    printed = created.output + rotated.output + listed.output
    assert [secret for secret in stored if secret in printed] == []


def test_qi_keys_list_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    listed = CliRunner().invoke(cli, ["keys", "list", "--file", str(tmp_path / "none.json")])

    assert listed.exit_code == 2
    assert listed.output.strip().splitlines() == [
        f"error: key file {tmp_path / 'none.json'}: no such file; create it with `qi keys create`"
    ]
