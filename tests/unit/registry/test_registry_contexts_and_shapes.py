"""Contexts, guids and Confluent 8's answers, on an in-memory log replayed like the topic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest

from flux.registry.core.errors import RegistryError
from flux.registry.core.guid import schema_guid
from flux.registry.core.metadata import Metadata
from flux.registry.core.model import Mode, StoredSchema
from flux.registry.core.qualified import context_of, is_context_only, local_name, normalize, qualify_in
from flux.registry.core.records import HighWaterRecord, LogRecord, decode_record, encode_record
from flux.registry.core.requests import SchemaRequest
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.schemas.types import SchemaType


class MemoryLog:
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
def log() -> MemoryLog:
    return MemoryLog(RegistryState())


@pytest.fixture
def service(log: MemoryLog) -> RegistryService:
    return RegistryService(log.state, log)


@pytest.mark.parametrize(
    ("subject", "context", "name", "normal"),
    [
        ("s", ".", "s", "s"),
        (":.:s", ".", "s", "s"),
        (":.ctx:s", ".ctx", "s", ":.ctx:s"),
        (":ctx:s", ".ctx", "s", ":.ctx:s"),
        (":.ctx:", ".ctx", "", ":.ctx:"),
        (":.ctx", ".", ":.ctx", ":.ctx"),
    ],
)
def test_qualified_subjects(subject: str, context: str, name: str, normal: str) -> None:
    assert (context_of(subject), local_name(subject), normalize(subject)) == (context, name, normal)


def test_qualify_in_keeps_an_explicit_context() -> None:
    assert qualify_in("m", ".ctx") == ":.ctx:m"
    assert qualify_in(":.other:m", ".ctx") == ":.other:m"
    assert qualify_in("m", ".") == "m"
    assert is_context_only(":.ctx:") and not is_context_only(":.ctx:s")


def test_guid_is_a_digest_of_text_references_and_contracts() -> None:
    base = StoredSchema(1, SchemaType.AVRO, '"string"')
    guid = schema_guid(base)
    assert guid == schema_guid(replace(base, schema_id=9, context=".ctx"))  # not the id or the context
    assert guid != schema_guid(replace(base, text='"int"'))
    assert guid != schema_guid(replace(base, metadata=Metadata()))  # none and empty differ
    assert len(guid) == 36 and guid.count("-") == 4


async def test_ids_per_context_and_replay(service: RegistryService, log: MemoryLog) -> None:
    reg = service.registration.register
    assert await reg("a", avro("A", "x")) == {"id": 1}
    assert await reg(":.ctx:a", avro("A", "x")) == {"id": 1}
    assert await reg(":.ctx:b", avro("B", "y")) == {"id": 2}
    assert await reg(":.:c", avro("B", "y")) == {"id": 2}  # the default context
    assert service.reads.contexts() == [".", ".ctx"]
    assert service.reads.schema_by_id(2, ":.ctx:b").text != service.reads.schema_by_id(1).text
    replayed = log.replay()
    assert replayed.max_ids == {".": 2, ".ctx": 2}
    assert sorted(replayed.subject_names()) == [":.ctx:a", ":.ctx:b", "a", "c"]


def test_high_water_records_are_per_context() -> None:
    default, other = encode_record(HighWaterRecord(5)), encode_record(HighWaterRecord(7, ".ctx"))
    assert default[0] != other[0]  # two keys: compaction keeps both
    assert decode_record(*default) == HighWaterRecord(5)
    assert decode_record(*other) == HighWaterRecord(7, ".ctx")


async def test_registration_answers(service: RegistryService) -> None:
    reg = service.registration.register
    assert await reg("s", avro("A", "x")) == {"id": 1}
    await service.config.set_config("s", {"compatibility": "NONE"})
    completed = await reg("s", replace(avro("A", "x", "y"), metadata=Metadata.of_properties([("k", "v")])))
    assert completed["version"] == 2 and completed["schemaType"] == "AVRO" and "guid" in completed
    # an empty schema takes the previous version's schema
    empty = await reg("s", replace(avro("A"), text="", metadata=Metadata.of_properties([("k", "w")])))
    assert empty["version"] == 3 and empty["schema"] == completed["schema"]
    with pytest.raises(RegistryError) as nothing:
        await reg("fresh", replace(avro("A"), text=""))
    assert nothing.value.error_code == 42201


async def test_modes_as_confluent(service: RegistryService) -> None:
    config, reg = service.config, service.registration.register
    await reg("s", avro("A", "x"))
    await config.set_mode(":.ctx:", Mode.READONLY, force=True)
    assert config.effective_mode(":.ctx:s") is Mode.READONLY
    assert config.effective_mode("s") is Mode.READWRITE
    await config.set_mode("s", Mode.READWRITE, force=False)
    await config.set_mode(None, Mode.READONLY_OVERRIDE, force=False)
    assert config.effective_mode("s") is Mode.READONLY_OVERRIDE
    for attempt in (config.set_config(None, {}), config.delete_config(None), reg("s", avro("A", "x", "y"))):
        with pytest.raises(RegistryError) as refused:
            await attempt
        assert refused.value.error_code == 42205
    await config.set_mode(None, Mode.IMPORT, force=True)
    with pytest.raises(RegistryError) as no_id:
        await reg("t", avro("T", "x"))
    assert no_id.value.error_code == 42205


async def test_compatibility_against_missing_versions(service: RegistryService) -> None:
    check = service.compatibility.check
    assert check("none", -1, avro("A", "x")) == []
    with pytest.raises(RegistryError) as missing:
        check("none", 2, avro("A", "x"))
    assert missing.value.error_code == 40402
