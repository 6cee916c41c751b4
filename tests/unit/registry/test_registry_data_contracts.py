"""Data contracts through the registry service on an in-memory log: identity with metadata and
rule sets, inheritance, config defaults and overrides, confluent:version, compatibilityGroup,
alias, validateFields, /metadata lookups, and replay of everything from the encoded records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from flux.registry.core.errors import RegistryError
from flux.registry.core.metadata import Metadata
from flux.registry.core.records import LogRecord, decode_record, encode_record
from flux.registry.core.requests import LATEST, SchemaRequest, config_update
from flux.registry.core.rules import Rule, RuleMode, RuleSet
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState
from flux.schemas.types import SchemaType


class RecordingLog:
    """Applies records at once and keeps their encoded form, like the topic would."""

    def __init__(self, state: RegistryState) -> None:
        self.state = state
        self.encoded: list[tuple[bytes, bytes | None]] = []

    async def append(self, records: Sequence[LogRecord]) -> None:
        for record in records:
            self.encoded.append(encode_record(record))
            self.state.apply(record)


@pytest.fixture
def service() -> RegistryService:
    state = RegistryState()
    return RegistryService(state, RecordingLog(state))


def record(*fields: str, name: str = "R") -> str:
    return json.dumps(
        {"type": "record", "name": name, "fields": [{"name": f, "type": "int"} for f in fields]}
    )


S = record("a")


def req(
    text: str = S, *, version: int | None = None, md: dict[str, str] | None = None, **extra: Any
) -> SchemaRequest:
    metadata = None if md is None else Metadata.of_properties(md.items())
    return SchemaRequest(text, SchemaType.AVRO, version=version, metadata=metadata, **extra)


def cv(value: int) -> dict[str, str]:
    return {"confluent:version": str(value)}


async def configure(service: RegistryService, subject: str | None, body: dict[str, Any]) -> None:
    await service.config.set_config(subject, config_update(body))


def props_of(service: RegistryService, subject: str, version: int = LATEST) -> dict[str, str] | None:
    body = service.reads.version_json(service.reads.get_version(subject, version, deleted=True))
    metadata = body.get("metadata")
    return None if metadata is None else dict(metadata.get("properties", {}))  # type: ignore[union-attr]


async def test_confluent_version_sequence_as_confluent_tests_it(service: RegistryService) -> None:
    reg, look = service.registration.register, service.reads.lookup
    assert (await reg("s", req()))["id"] == 1
    assert (await reg("s", req(version=LATEST)))["id"] == 1
    assert (await reg("s", req(version=2)))["id"] == 2  # a version named: confluent:version, a new id
    assert (await reg("s", req(version=LATEST)))["id"] == 2
    assert props_of(service, "s") == cv(2)
    assert look("s", req(), deleted=False)["version"] == 1
    assert "metadata" not in look("s", req(md=cv(1)), deleted=False)
    assert look("s", req(md=cv(2)), deleted=False)["version"] == 2
    await service.deletes.delete_version("s", 1, permanent=False)
    assert look("s", req(), deleted=False)["version"] == 2
    assert (await reg("s", req()))["id"] == 2
    assert (await reg("s", req(version=3)))["id"] == 3
    assert (await reg("s", req(version=LATEST)))["id"] == 3
    with pytest.raises(RegistryError) as cas:
        await reg("s", req(version=3))  # compare-and-set: 3 is not the next version
    assert (cas.value.error_code, cas.value.message) == (
        42201,
        "Version is not one more than previous version",
    )
    assert (await reg("s", req(version=4)))["id"] == 4
    assert look("s", req(), deleted=False)["version"] == 4
    assert (await reg("s", req(md=cv(-1))))["id"] == 5
    assert props_of(service, "s") == cv(5)
    assert (await reg("s", req(md=cv(2))))["id"] == 2
    assert (await reg("s", req(md=cv(3))))["id"] == 3
    assert (await reg("s", req(md=cv(0))))["id"] == 6
    assert (await reg("s", req(md={})))["id"] == 6
    assert (await reg("s", req(md={"mykey": "myvalue"})))["id"] == 7
    assert props_of(service, "s") == {"mykey": "myvalue"}
    assert (await reg("s", req(version=LATEST)))["id"] == 8
    assert props_of(service, "s") == {"mykey": "myvalue", **cv(8)}
    assert look("s", req(md={"mykey": "myvalue"}), deleted=False)["version"] == 7
    await service.deletes.delete_version("s", 7, permanent=False)
    assert look("s", req(md={"mykey": "myvalue"}), deleted=False)["version"] == 8


async def test_same_text_other_metadata_is_a_new_version_with_a_new_id(service: RegistryService) -> None:
    reg = service.registration.register
    first = await reg("s", req(md={"owner": "a"}))
    # a registration that set contracts answers the version as stored; the same again is found
    # by the lookup that comes first and answers the id alone (as Confluent)
    assert first["version"] == 1 and first["metadata"] == {"properties": {"owner": "a"}}
    assert await reg("s", req(md={"owner": "a"})) == {"id": first["id"]}
    second = await reg("s", req(md={"owner": "b"}))
    assert second["id"] != first["id"]
    rules = RuleSet((), (Rule("r", type="CEL", expr="true"),))
    third = await reg("s", req(md={"owner": "b"}, rule_set=rules))
    assert third["id"] not in (first["id"], second["id"])
    assert service.reads.versions("s", deleted=False) == [1, 2, 3]
    # the same schema with the same contracts in another subject shares the id
    assert (await reg("t", req(md={"owner": "b"}, rule_set=rules)))["id"] == third["id"]
    third_id = third["id"]
    assert isinstance(third_id, int)
    body = service.reads.schema_json(service.reads.schema_by_id(third_id))
    assert body["metadata"] == {"properties": {"owner": "b"}}
    assert body["ruleSet"] == {"domainRules": [rules.domain_rules[0].to_json()]}


async def test_versions_inherit_the_previous_contracts(service: RegistryService) -> None:
    rules = RuleSet((), (Rule("r", type="CEL", expr="true"),))
    await configure(service, "s", {"compatibility": "NONE"})
    await service.registration.register("s", req(md={"owner": "a"}, rule_set=rules))
    await service.registration.register("s", req(record("b")))
    latest = service.reads.version_json(service.reads.get_version("s", LATEST, deleted=False))
    assert latest["version"] == 2
    assert latest["metadata"] == {"properties": {"owner": "a"}}
    assert latest["ruleSet"] == rules.to_json()
    # a plain re-registration of v1's text finds v1 (it inherits v1's contracts, the same schema)
    assert (await service.registration.register("s", req()))["id"] == 1


async def test_config_defaults_and_overrides(service: RegistryService) -> None:
    await configure(
        service,
        None,
        {
            "defaultMetadata": {"properties": {"team": "d", "tier": "d"}},
            "overrideMetadata": {"properties": {"tier": "o"}},
        },
    )
    await service.registration.register("s", req(md={"team": "mine", "x": "1"}))
    assert props_of(service, "s") == {"team": "mine", "tier": "o", "x": "1"}
    # a subject config is the config in scope (the whole object): no global defaults for it
    await configure(service, "u", {"compatibility": "FULL"})
    await service.registration.register("u", req())
    assert props_of(service, "u") is None
    # a lookup of the bare schema finds the version the overrides made
    assert service.reads.lookup("s", req(md={"team": "mine", "x": "1"}), deleted=False)["version"] == 1


async def test_compatibility_group_checks_within_the_group_only(service: RegistryService) -> None:
    await configure(service, "s", {"compatibilityGroup": "major"})
    await service.registration.register("s", req(md={"major": "1"}))
    breaking = record("a", "b")  # a field without default: not BACKWARD compatible
    with pytest.raises(RegistryError) as refused:
        await service.registration.register("s", req(breaking, md={"major": "1"}))
    assert refused.value.http_status == 409
    assert (await service.registration.register("s", req(breaking, md={"major": "2"})))["id"] == 2
    assert service.compatibility.check("s", None, req(breaking, md={"major": "1"}))
    assert service.compatibility.check("s", None, req(breaking, md={"major": "3"})) == []


async def test_alias_resolves_reads_lookups_registrations_and_checks(service: RegistryService) -> None:
    await service.registration.register("target", req())
    await configure(service, "nick", {"alias": "target"})
    assert service.reads.versions("nick", deleted=False) == [1]
    assert service.reads.get_version("nick", 1, deleted=False).subject == "target"
    assert service.reads.lookup("nick", req(), deleted=False)["subject"] == "target"
    await configure(service, "target", {"compatibility": "NONE"})
    assert (await service.registration.register("nick", req(record("z"))))["id"] == 2
    assert service.reads.versions("target", deleted=False) == [1, 2]
    assert service.compatibility.check("nick", LATEST, req(record("z"))) == []
    # config and mode stay the alias's own
    assert service.config.subject_config("nick", default_to_global=False).alias == "target"


async def test_validate_fields_keeps_reserved_fields(service: RegistryService) -> None:
    await configure(service, "s", {"validateFields": True, "compatibility": "NONE"})
    await service.registration.register("s", req(md={"confluent:reserved": "ssn, dob"}))
    with pytest.raises(RegistryError) as removed:
        await service.registration.register("s", req(record("b"), md={"confluent:reserved": "ssn"}))
    assert "RESERVED_FIELD_REMOVED" in removed.value.message
    with pytest.raises(RegistryError) as clash:
        await service.registration.register("s", req(record("ssn"), md={"confluent:reserved": "ssn,dob"}))
    assert "FIELD_CONFLICTS_WITH_RESERVED_FIELD" in clash.value.message
    assert (await service.registration.register("s", req(record("b"))))["id"] == 2  # inherits the reservation


async def test_latest_with_metadata(service: RegistryService) -> None:
    await configure(service, "s", {"compatibility": "NONE"})
    await service.registration.register("s", req(md={"app": "x", "env": "prod"}))
    await service.registration.register("s", req(record("b"), md={"app": "x", "env": "dev"}))
    await service.registration.register("s", req(record("c")))  # inherits env=dev
    assert service.reads.latest_with_metadata("s", {"app": "x"}, deleted=False).version == 3
    assert service.reads.latest_with_metadata("s", {"env": "prod"}, deleted=False).version == 1
    with pytest.raises(RegistryError) as none:
        service.reads.latest_with_metadata("s", {"env": "qa"}, deleted=False)
    assert none.value.error_code == 40403
    with pytest.raises(RegistryError) as missing:
        service.reads.latest_with_metadata("nope", {}, deleted=False)
    assert missing.value.error_code == 40401


async def test_import_mode_keeps_contracts_as_given_and_checks_them_for_ids(service: RegistryService) -> None:
    await service.config.set_mode("s", "IMPORT", force=False)
    assert (await service.registration.register("s", req(md={"a": "1"}, schema_id=10, version=4)))["id"] == 10
    assert props_of(service, "s") == {"a": "1"}  # no confluent:version in IMPORT mode
    with pytest.raises(RegistryError) as clash:
        await service.registration.register("s", req(md={"a": "2"}, schema_id=10))
    assert clash.value.error_code == 42205


async def test_config_delete_returns_the_config_and_subject_without_one_is_40401(
    service: RegistryService,
) -> None:
    await configure(service, "s", {"compatibility": "FULL", "compatibilityGroup": "g"})
    deleted = await service.config.delete_config("s")
    assert deleted.to_json() == {"compatibilityLevel": "FULL", "compatibilityGroup": "g"}
    await service.registration.register("s", req())
    with pytest.raises(RegistryError) as missing:
        await service.config.delete_config("s")
    assert missing.value.error_code == 40401


async def test_contracts_and_configs_survive_replay(service: RegistryService) -> None:
    rules = RuleSet((Rule("up", mode=RuleMode.UPGRADE, type="JSONATA", expr="$"),), (Rule("r", type="CEL"),))
    await configure(
        service, None, {"overrideRuleSet": rules.to_json(), "compatibilityGroup": "g", "normalize": True}
    )
    await service.registration.register("s", req(md={"g": "1"}, rule_set=rules))
    log = service.log
    assert isinstance(log, RecordingLog)
    fresh = RegistryState()
    for key, value in log.encoded:
        decoded = decode_record(key, value)
        assert decoded is not None
        fresh.apply(decoded)
    replayed = RegistryService(fresh, RecordingLog(fresh))
    assert replayed.config.global_config() == service.config.global_config()
    assert replayed.reads.version_json(
        replayed.reads.get_version("s", 1, deleted=False)
    ) == service.reads.version_json(service.reads.get_version("s", 1, deleted=False))
    assert (await replayed.registration.register("s", req(md={"g": "1"}, rule_set=rules)))["id"] == 1
