"""The AsyncAPI document: every topic a channel, the right schema formats, operations per component."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from flux.bff.convert import to_snapshot
from flux.bff.gateway import ClientEvent
from flux.bff.protocol import ErrorCode, RefreshTarget
from flux.bff.snapshot import CHANNELS, Stream
from flux.catalogue import TopicKind, load_catalogue
from flux.contracts import Tick, TickerBatch, contract_for
from flux.paths import project_root
from flux.schema_tools.asyncapi import (
    AVRO_SCHEMA_FORMAT,
    PROTOBUF_SCHEMA_FORMAT,
    build_asyncapi,
    render_asyncapi_json,
)
from flux.schema_tools.asyncapi_payloads import camel, key_schema
from flux.schema_tools.asyncapi_socketio import CLIENT_EVENTS, NAMESPACE_CHANNEL, STREAM_CONTRACTS
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import SchemaFormat, load_subjects

SPEC = project_root() / "tools" / "asyncapi" / "node_modules" / "@asyncapi" / "specs" / "schemas"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_asyncapi(load_catalogue(), load_subjects())


def _resolve(document: dict[str, Any], ref: str) -> Any:
    """Follow a local reference (and the references it lands on) to the object."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return _resolve(document, node["$ref"])
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _message(document: dict[str, Any], channel: str) -> dict[str, Any]:
    (message_id,) = document["channels"][channel]["messages"]
    message = _resolve(document, f"#/channels/{channel}/messages/{message_id}")
    assert isinstance(message, dict)
    return message


def test_header_servers_and_determinism(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "Flux"
    assert document["servers"]["kafka"]["protocol"] == "kafka"
    assert document["servers"]["kafka"]["host"] == "127.0.0.1:9092"
    assert document["servers"]["bff"]["pathname"] == "/socket.io/"
    again = build_asyncapi(load_catalogue(), load_subjects())
    assert render_asyncapi_json(again) == render_asyncapi_json(document)
    assert render_asyncapi_json(document).endswith("}\n")
    custom = build_asyncapi(load_catalogue(), load_subjects(), kafka_host="broker:9092", bff_host="bff:80")
    assert custom["servers"]["kafka"]["host"] == "broker:9092"
    assert custom["servers"]["bff"]["host"] == "bff:80"


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = list(_refs(document))
    assert len(refs) > 100
    for ref in refs:
        _resolve(document, ref)


def test_every_catalogue_topic_is_a_kafka_channel(document: dict[str, Any]) -> None:
    catalogue = load_catalogue()
    for topic in catalogue.topics:
        channel = document["channels"][topic.name]
        assert channel["address"] == topic.name
        assert channel["servers"] == [{"$ref": "#/servers/kafka"}]
        binding = channel["bindings"]["kafka"]
        assert binding["topic"] == topic.name
        assert binding["partitions"] == topic.partitions
        assert binding["topicConfiguration"]["retention.ms"] == topic.retention_ms
        assert ",".join(binding["topicConfiguration"]["cleanup.policy"]) == topic.cleanup_policy
        assert channel.get("x-flux-dead-letter") == topic.dead_letter
    kafka = {
        name for name, c in document["channels"].items() if c["servers"] == [{"$ref": "#/servers/kafka"}]
    }
    assert kafka == set(catalogue.names())


def test_payloads_carry_the_current_schema_in_its_format(document: dict[str, Any]) -> None:
    for subject in load_subjects().subjects:
        message = _message(document, subject.topic)
        payload = message["payload"]
        if subject.format is SchemaFormat.AVRO:
            assert payload["schemaFormat"] == AVRO_SCHEMA_FORMAT
            assert payload["schema"] == subject.latest.avro_json()
        else:
            assert payload["schemaFormat"] == PROTOBUF_SCHEMA_FORMAT
            assert payload["schema"] == subject.latest.text
        assert message["x-flux-subject"] == subject.subject
        assert message["x-flux-schema-version"] == subject.latest.number
        binding = message["bindings"]["kafka"]
        assert binding["schemaIdLocation"] == "payload"
        assert binding["schemaLookupStrategy"] == "TopicNameStrategy"
    weather = _message(document, "weather.service.event.updated")
    assert weather["x-flux-schema-version"] == 2


def test_keys_are_described_by_the_catalogue(document: dict[str, Any]) -> None:
    for topic in load_catalogue().topics:
        key = _message(document, topic.name)["bindings"]["kafka"]["key"]
        assert key["type"] == "string"
        assert key == key_schema(topic.key)
    assert key_schema('"global"')["enum"] == ["global"]
    fetch = _message(document, "weather.service.command.fetch")["bindings"]["kafka"]["key"]
    assert "city" in fetch["description"]


def test_dead_letter_and_internal_topics(document: dict[str, Any]) -> None:
    for topic in load_catalogue().of_kind(TopicKind.DEAD_LETTER):
        message = _message(document, topic.name)
        assert message["payload"]["format"] == "binary"
        assert "flux.dlq.original.topic" in message["headers"]["properties"]
    assert _message(document, "_schemas")["name"] == "RegistryRecord"


def test_an_operation_per_producer_and_consumer(document: dict[str, Any]) -> None:
    operations = document["operations"]
    expected = set()
    for topic in load_catalogue().topics:
        expected |= {(p.strip(), "send", topic.name) for p in topic.producer.split(",")}
        expected |= {(c, "receive", topic.name) for c in topic.consumers}
    found = set()
    for key, operation in operations.items():
        if "kafka" not in {t["name"] for t in operation["tags"]}:
            continue
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        component = operation["tags"][0]["name"]
        found.add((component, operation["action"], channel))
        assert key == f"{component}.{operation['action']}.{channel}"
        (message,) = operation["messages"]
        assert message["$ref"].startswith(f"#/channels/{channel}/messages/")
    assert found == expected
    assert ("bff", "send", "weather.service.command.fetch") in found
    assert ("weather-service", "receive", "weather.service.command.fetch") in found
    assert ("weather-service", "send", "weather.service.command.fetch.dlq") in found


def test_socketio_requests_and_acks(document: dict[str, Any]) -> None:
    assert set(CLIENT_EVENTS) == {
        v for k, v in vars(ClientEvent).items() if not k.startswith("_") and isinstance(v, str)
    }
    namespace = document["channels"][NAMESPACE_CHANNEL]
    assert namespace["address"] == "/" and namespace["servers"] == [{"$ref": "#/servers/bff"}]
    for event in CLIENT_EVENTS:
        operation = document["operations"][f"bff.receive.{event}"]
        assert operation["action"] == "receive"
        request = _resolve(document, operation["messages"][0]["$ref"])
        ack = _resolve(document, operation["reply"]["messages"][0]["$ref"])
        assert request["name"] == ack["name"] == event
    subscribe = document["components"]["messages"]["socketio.subscribe"]["payload"]
    jsonschema.validate({"channel": "crypto.global"}, subscribe)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"channel": "nope"}, subscribe)
    refresh = document["components"]["messages"]["socketio.refresh"]["payload"]
    assert refresh["properties"]["domain"]["enum"] == [t.value for t in RefreshTarget]
    jsonschema.validate(
        {"city": "Delhi", "lat": 28.61, "lon": "77.2"}, _payload(document, "socketio.locationUpdate")
    )
    ack = _payload(document, "socketio.locationUpdate.ack")
    jsonschema.validate(
        {"ok": True, "room": "weather.delhi", "city": "Delhi", "hydrated": True, "coalesced": False}, ack
    )
    jsonschema.validate(
        {"ok": False, "error": {"code": ErrorCode.RATE_LIMITED.value, "message": "slow down"}}, ack
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"ok": False, "error": {"code": "made_up", "message": "x"}}, ack)


def _payload(document: dict[str, Any], message_id: str) -> dict[str, Any]:
    payload = document["components"]["messages"][message_id]["payload"]
    assert isinstance(payload, dict)
    return payload


def test_socketio_rooms_and_events(document: dict[str, Any]) -> None:
    rooms = {c["address"] for k, c in document["channels"].items() if k.startswith("socketio.")} - {"/"}
    assert rooms == {"weather.{cityKey}", *CHANNELS}
    for stream in Stream:
        operation = document["operations"][f"bff.send.{stream.value.replace(':', '.')}"]
        assert operation["action"] == "send"
        channel = _resolve(document, operation["channel"]["$ref"])
        assert channel["address"] == stream.room("{cityKey}")
        message = _resolve(document, operation["messages"][0]["$ref"])
        assert message["name"] == stream.value
        assert contract_for(message["x-flux-source-topic"]) is STREAM_CONTRACTS[stream]
        assert message["x-flux-source-topic"] in {t.name for t in load_catalogue().consumed_by("bff")}


def _ticker_snapshot() -> dict[str, Any]:
    tick = Tick(
        product_id="BTC-USD",
        price="1.5",
        best_bid="1.4",
        best_ask="1.6",
        volume_24h="10",
        time_ms=1,
        trade_id=2,
        last_size="0.1",
    )
    batch = TickerBatch(batch_sequence=3, produced_at_ms=4, source="crypto-service", ticks=[tick])
    return to_snapshot(TickerBatch, batch).wire()


@pytest.mark.parametrize("stream", list(Stream), ids=str)
def test_real_snapshots_validate_against_the_event_payloads(document: dict[str, Any], stream: Stream) -> None:
    """The schemas derived from Avro/Protobuf describe exactly what flux.bff.convert sends."""
    payload = _payload(document, "socketio." + stream.value.replace(":", "."))
    topic = document["components"]["messages"]["socketio." + stream.value.replace(":", ".")][
        "x-flux-source-topic"
    ]
    contract = contract_for(topic)
    if contract is TickerBatch:
        wire = _ticker_snapshot()
    else:
        datum = example_datum(load_subjects().for_topic(topic).latest.avro_json())
        snapshot = to_snapshot(contract, datum)
        assert snapshot.stream is stream
        wire = snapshot.wire()
    jsonschema.validate(wire, payload, format_checker=jsonschema.FormatChecker())
    data = payload["properties"]["data"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wire | {"data": {**wire["data"], "unexpected": 1}}, payload)
    assert set(data["properties"]) == set(wire["data"])


def test_camel_case_matches_the_bff() -> None:
    assert camel("volume_24h") == "volume24h"
    assert camel("change_pct_24h") == "changePct24h"
    assert camel("city") == "city"


def test_valid_against_the_official_asyncapi_3_json_schema(document: dict[str, Any]) -> None:
    spec = SPEC / "3.0.0-without-$id.json"
    if not spec.is_file():
        pytest.skip(f"{spec} is not installed (make setup / scripts/setup-asyncapi.sh installs it)")
    validator = jsonschema.Draft7Validator(json.loads(spec.read_text(encoding="utf-8")))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, "\n".join(errors[:10])
    broken = json.loads(json.dumps(document))
    broken["channels"]["_schemas"]["bindings"]["kafka"]["partitions"] = 0
    assert any(True for _ in validator.iter_errors(broken))


def test_the_spec_path_is_inside_the_checkout() -> None:
    assert Path(SPEC).is_relative_to(project_root())
