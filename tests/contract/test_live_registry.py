"""(d) Live: the whole history registers on a real Flux registry; an incompatible change gets 409.
(e) Live: bytes interoperate with confluent-kafka's Avro and Protobuf serializers both ways."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.serialization import MessageField, SerializationContext

from flux.contracts import NewsUpdated, TickerBatch, WeatherUpdated
from flux.devstack.stack import RunningStack
from flux.paths import project_root
from flux.schema_tools.contracts import CONTRACT_VERSION_PROPERTY
from flux.schema_tools.examples import example_datum
from flux.schema_tools.registration import RegistrationStatus, register_subject
from flux.schema_tools.subjects import POLICY_FILE, load_subjects, parse_subjects
from flux.serde import AsyncSerde, Serde, UnknownSchemaId
from flux.serde.contract_schema import contract_schema
from flux.serde.rule_executors import JsonSafeJsonataExecutor
from flux.serde.wire import pack_header

from .golden import golden_ticker_batch

pytestmark = pytest.mark.integration


def _flux(*args: str, root: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"FLUX_ROOT": str(root)} if root else {})}
    return subprocess.run(
        [sys.executable, "-m", "flux", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def _valid(datum: dict[str, Any]) -> dict[str, Any]:
    """The example datum made to pass the subject's data contract (the registry now holds the rules,
    and confluent-kafka's serdes run them)."""
    if "status" in datum:  # WeatherUpdated: a success carries data and no error
        datum["error"] = None
        datum["data"]["country"] = "IN"
    for article in datum.get("articles", []):
        article.update(url="https://news.example/story-1", image_url="https://img.example/1.png")
    return datum


def _sample(contract: type) -> object:
    return contract.from_dict(_valid(example_datum(json.loads(contract.SCHEMA_TEXT))))  # type: ignore[attr-defined]


def _rules() -> RuleRegistry:
    """The rule executors a confluent-kafka serde needs once a subject's versions carry rule sets."""
    rules = RuleRegistry()
    for executor in (CelExecutor(), CelFieldExecutor(), JsonSafeJsonataExecutor()):
        rules.register_executor(executor)
    return rules


def test_register_command_registers_the_whole_history_idempotently(private_registry: str) -> None:
    first = _flux("schemas", "register", "--registry-url", private_registry)
    assert first.returncode == 0, first.stdout + first.stderr
    versions = sum(len(s.versions) for s in load_subjects().subjects)
    assert first.stdout.count(" registered") >= versions
    second = _flux("schemas", "register", "--registry-url", private_registry)
    assert second.returncode == 0, second.stdout + second.stderr
    table = second.stdout.split("STATUS", 1)[1].strip().splitlines()
    assert len(table) == versions and all(line.rstrip().endswith("exists") for line in table)
    client = SchemaRegistryClient({"url": private_registry})
    for subject in load_subjects().subjects:
        assert client.get_versions(subject.subject) == [v.number for v in subject.versions]
        assert client.get_compatibility(subject.subject) == subject.level


def _broken_checkout(tmp_path: Path) -> Path:
    shutil.copytree(project_root() / "schemas", tmp_path / "schemas")  # the policy file comes with it
    folder = tmp_path / "schemas" / "avro" / "weather"
    schema = json.loads((folder / "weather_updated.v2.avsc").read_text(encoding="utf-8"))
    schema["fields"].append({"name": "station_id", "type": "string", "doc": "required: breaks old data"})
    (folder / "weather_updated.v3.avsc").write_text(json.dumps(schema), encoding="utf-8")
    return tmp_path


def test_incompatible_change_is_refused_with_409(private_registry: str, tmp_path: Path) -> None:
    assert _flux("schemas", "register", "--registry-url", private_registry).returncode == 0
    root = _broken_checkout(tmp_path)
    result = _flux("schemas", "register", "--registry-url", private_registry, root=root)
    assert result.returncode == 1
    assert "weather.service.event.updated-value v3" in result.stderr
    assert "HTTP 409" in result.stderr
    # The raw API says the same, and nothing was registered.
    v3 = (root / "schemas" / "avro" / "weather" / "weather_updated.v3.avsc").read_text(encoding="utf-8")
    client = SchemaRegistryClient({"url": private_registry})
    subject = WeatherUpdated.SUBJECT
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, Schema(v3, "AVRO"))
    assert info.value.http_status_code == 409
    assert client.get_versions(subject) == [1, 2]


def test_register_subject_reports_the_refusal(private_registry: str, tmp_path: Path) -> None:
    root = _broken_checkout(tmp_path)
    history = parse_subjects((root / POLICY_FILE).read_text(encoding="utf-8"), root)
    lines: list[str] = []
    rows = register_subject(
        SchemaRegistryClient({"url": private_registry}), history.for_topic(WeatherUpdated.TOPIC), lines.append
    )
    assert [r.status for r in rows] == [
        RegistrationStatus.REGISTERED,
        RegistrationStatus.REGISTERED,
        RegistrationStatus.INCOMPATIBLE,
    ]
    assert "409" in rows[-1].message


def _registry(stack: RunningStack) -> str:
    assert stack.registry_url is not None, "the stack started without the registry"
    return stack.registry_url


async def test_async_serde_on_the_stack_registry(stack: RunningStack) -> None:
    serde = AsyncSerde.from_settings(stack.settings)
    try:
        event = _sample(WeatherUpdated)
        data = await serde.encode(event)
        assert await serde.decode(WeatherUpdated, data) == event
        with pytest.raises(UnknownSchemaId):
            await serde.decode(WeatherUpdated, pack_header(987_654) + data[5:])
    finally:
        await serde.aclose()


def test_old_version_written_by_confluent_decodes_into_todays_class(stack: RunningStack) -> None:
    client = SchemaRegistryClient({"url": _registry(stack)})
    history = load_subjects().for_topic(WeatherUpdated.TOPIC)
    v1 = history.versions[0]
    # An old producer pins the version it writes by its contract's metadata (each version's carries
    # its own number), as confluent-kafka's clients do once versions have contracts.
    old_writer = AvroSerializer(
        client,
        v1.text,
        conf={"auto.register.schemas": False, "use.latest.with.metadata": {CONTRACT_VERSION_PROPERTY: "1"}},
        rule_registry=_rules(),
    )
    ctx = SerializationContext(WeatherUpdated.TOPIC, MessageField.VALUE)
    data = old_writer(_valid(example_datum(v1.avro_json())), ctx)
    assert data is not None
    event = Serde(client).decode(WeatherUpdated, data)
    assert event.data is not None and event.data.feels_like_c is None


@pytest.mark.parametrize("contract", [WeatherUpdated, NewsUpdated], ids=lambda c: c.__name__)
def test_avro_bytes_interoperate_with_confluent_kafka(stack: RunningStack, contract: type) -> None:
    client = SchemaRegistryClient({"url": _registry(stack)})
    ctx = SerializationContext(contract.TOPIC, MessageField.VALUE)  # type: ignore[attr-defined]
    theirs = AvroSerializer(
        client,
        contract.SCHEMA_TEXT,
        to_dict=lambda o, _c: o.to_dict(),
        conf={"auto.register.schemas": False},  # type: ignore[attr-defined]
        rule_registry=_rules(),
    )
    their_reader = AvroDeserializer(
        client,
        from_dict=lambda d, _c: contract.from_dict(d),  # type: ignore[attr-defined]
        rule_registry=_rules(),
    )
    serde = Serde(client)
    value = _sample(contract)
    their_bytes = theirs(value, ctx)
    assert their_bytes is not None
    assert serde.decode(contract, their_bytes) == value
    ours = serde.encode(value)
    assert ours == their_bytes
    assert their_reader(ours, ctx) == value


def test_protobuf_bytes_interoperate_with_confluent_kafka(stack: RunningStack) -> None:
    client = SchemaRegistryClient({"url": _registry(stack)})
    coordinates = contract_schema(TickerBatch)
    ctx = SerializationContext(coordinates.topic, MessageField.VALUE)
    theirs = ProtobufSerializer(
        TickerBatch,
        client,
        conf={"auto.register.schemas": False, "use.latest.version": True},
        rule_registry=_rules(),
    )
    their_reader = ProtobufDeserializer(
        TickerBatch, conf={"use.deprecated.format": False}, rule_registry=_rules()
    )
    serde = Serde(client)
    batch = golden_ticker_batch()
    their_bytes = theirs(batch, ctx)
    assert their_bytes is not None
    assert serde.decode(TickerBatch, their_bytes) == batch
    ours = serde.encode(batch)
    assert ours == their_bytes
    assert their_reader(ours, ctx) == batch
