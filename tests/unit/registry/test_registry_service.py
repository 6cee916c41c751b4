"""Registry rules on an in-memory log (a fake of the Kafka log: records are applied when appended).

Replaying the recorded records into a fresh state must give the same answers: that is what a
restart does with the real topic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from flux.registry.core.errors import RegistryError
from flux.registry.core.records import LogRecord, decode_record, encode_record
from flux.registry.core.requests import LATEST, SchemaRequest, parse_version
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.schemas.types import SchemaType


class MemoryLog:
    """Applies records at once and keeps their encoded form, like the topic would."""

    def __init__(self, state: RegistryState) -> None:
        self.state = state
        self.encoded: list[tuple[bytes, bytes | None]] = []

    async def append(self, records: Sequence[LogRecord]) -> None:
        for record in records:
            self.encoded.append(encode_record(record))
            self.state.apply(record)

    def replay(self) -> RegistryState:
        fresh = RegistryState()
        for key, value in self.encoded:
            record = decode_record(key, value)
            if record is not None:
                fresh.apply(record)
        return fresh


def avro(name: str, *fields: str) -> SchemaRequest:
    text = json.dumps(
        {"type": "record", "name": name, "fields": [{"name": f, "type": "int"} for f in fields]}
    )
    return SchemaRequest(text, SchemaType.AVRO)


@pytest.fixture
def service() -> RegistryService:
    state = RegistryState()
    return RegistryService(state, MemoryLog(state))


async def test_ids_shared_across_subjects_and_versions_counted(service: RegistryService) -> None:
    assert (await service.registration.register("a", avro("A", "x")))["id"] == 1
    assert (await service.registration.register("b", avro("A", "x")))["id"] == 1
    assert (await service.registration.register("a", avro("A", "x")))["id"] == 1
    await service.config.set_config("a", {"compatibility": "NONE"})
    assert (await service.registration.register("a", avro("A", "y")))["id"] == 2
    assert service.reads.versions("a", deleted=False) == [1, 2]
    assert service.reads.get_version("a", LATEST, deleted=False).schema_id == 2


async def test_incompatible_is_409_with_details(service: RegistryService) -> None:
    await service.registration.register("a", avro("A", "x"))
    with pytest.raises(RegistryError) as raised:
        await service.registration.register("a", avro("A", "x", "y"))
    assert raised.value.http_status == 409
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in raised.value.message


async def test_hard_delete_keeps_ids_unique_across_replay(service: RegistryService) -> None:
    await service.registration.register("a", avro("A", "x"))
    await service.registration.register("z", avro("Z", "x"))
    await service.deletes.delete_subject("z", permanent=False)
    await service.deletes.delete_subject("z", permanent=True)
    assert service.state.max_id == 2
    log = service.log
    assert isinstance(log, MemoryLog)
    # compaction drops everything about "z": simulate it by keeping only the latest value per key
    latest: dict[bytes, bytes | None] = {}
    for key, value in log.encoded:
        latest.pop(key, None)
        latest[key] = value
    log.encoded = [(k, v) for k, v in latest.items() if v is not None]
    replayed = log.replay()
    assert replayed.max_id == 2
    fresh = RegistryService(replayed, MemoryLog(replayed))
    assert (await fresh.registration.register("n", avro("N", "x")))["id"] == 3


async def test_replay_rebuilds_the_same_state(service: RegistryService) -> None:
    await service.config.set_config(None, {"compatibility": "FULL"})
    await service.registration.register("a", avro("A", "x"))
    await service.config.set_mode("m", "READONLY", force=False)
    await service.deletes.delete_version("a", 1, permanent=False)
    log = service.log
    assert isinstance(log, MemoryLog)
    replayed = RegistryService(log.replay(), log)
    assert replayed.config.global_compatibility() == "FULL"
    assert replayed.config.subject_mode("m", default_to_global=False) == "READONLY"
    assert replayed.reads.versions("a", deleted=True) == [1]
    assert replayed.state.subjects["a"][1].deleted is True


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1), ("latest", LATEST), ("-1", LATEST), ("2147483647", 2**31 - 1)]
)
def test_parse_version(raw: str, expected: int) -> None:
    assert parse_version(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-2", "x", "2147483648", "", "1e3"])
def test_parse_version_rejects(raw: str) -> None:
    with pytest.raises(RegistryError) as raised:
        parse_version(raw)
    assert raised.value.error_code == 42202
