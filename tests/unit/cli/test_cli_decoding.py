"""``flux topics tail``'s decoder against confluent-kafka's in-process mock registry: today's class,
older writers, writers the class cannot read, and records that do not decode at all."""

from __future__ import annotations

import json
import struct
import uuid
from io import BytesIO
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from fastavro import parse_schema, schemaless_writer

from flux.catalogue import TopicKind, load_catalogue
from flux.cli.decoding import RecordDecoder, raw_value
from flux.cli.errors import CliError, ExitCode
from flux.contracts import NewsUpdated, RefreshTopCoins, TickerBatch, WeatherUpdated
from flux.devstack.ports import free_port
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import load_subjects
from flux.serde import Serde
from flux.serde.wire import pack_header
from flux.settings import Settings


def mock_serde() -> tuple[Serde, SchemaRegistryClient]:
    client = SchemaRegistryClient.new_client({"url": f"mock://cli-{uuid.uuid4().hex}"})
    return Serde(client), client


def avro_bytes(schema_id: int, schema_text: str) -> tuple[bytes, dict[str, Any]]:
    schema = json.loads(schema_text)
    datum = example_datum(schema)
    out = BytesIO()
    out.write(pack_header(schema_id))
    schemaless_writer(out, parse_schema(schema), datum)
    return out.getvalue(), datum


def test_a_record_of_todays_schema_decodes_into_the_class() -> None:
    serde, client = mock_serde()
    schema_id = client.register_schema(NewsUpdated.SUBJECT, Schema(NewsUpdated.SCHEMA_TEXT, "AVRO"))
    data, datum = avro_bytes(schema_id, NewsUpdated.SCHEMA_TEXT)
    decoder = RecordDecoder(serde, NewsUpdated)
    decoder.check_registry()
    decoded = decoder.decode(data)
    assert decoded.ok and decoded.decoded_as == "NewsUpdated" and decoded.schema_id == schema_id
    assert decoded.value == NewsUpdated.from_dict(datum).to_dict()


def test_an_older_writer_version_is_looked_up_by_id_and_read_as_todays_class() -> None:
    serde, client = mock_serde()
    history = load_subjects().for_topic(WeatherUpdated.TOPIC)
    old_id = client.register_schema(history.subject, Schema(history.versions[0].text, "AVRO"))
    client.register_schema(history.subject, Schema(history.latest.text, "AVRO"))
    data, _ = avro_bytes(old_id, history.versions[0].text)
    decoded = RecordDecoder(serde, WeatherUpdated).decode(data)
    assert decoded.ok, decoded.error
    assert (decoded.decoded_as, decoded.schema_id) == ("WeatherUpdated", old_id)
    assert decoded.value["data"]["feels_like_c"] is None  # the v2 field, defaulted


def test_a_writer_the_class_cannot_read_is_decoded_with_the_writers_own_schema() -> None:
    serde, client = mock_serde()
    client.register_schema(NewsUpdated.SUBJECT, Schema(NewsUpdated.SCHEMA_TEXT, "AVRO"))
    other_id = client.register_schema(RefreshTopCoins.SUBJECT, Schema(RefreshTopCoins.SCHEMA_TEXT, "AVRO"))
    data, datum = avro_bytes(other_id, RefreshTopCoins.SCHEMA_TEXT)
    decoded = RecordDecoder(serde, NewsUpdated).decode(data)
    assert decoded.ok, decoded.error
    assert decoded.decoded_as == f"writer schema {other_id}"
    assert decoded.value == datum


def test_a_class_whose_schema_is_not_registered_still_decodes_by_writer_id() -> None:
    serde, client = mock_serde()
    writer_id = client.register_schema("elsewhere-value", Schema(NewsUpdated.SCHEMA_TEXT, "AVRO"))
    data, datum = avro_bytes(writer_id, NewsUpdated.SCHEMA_TEXT)
    decoder = RecordDecoder(serde, NewsUpdated)
    decoder.check_registry()  # not registered under its subject: not an error
    decoded = decoder.decode(data)
    assert decoded.ok and decoded.decoded_as == f"writer schema {writer_id}"
    assert decoded.value == datum


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x07" + b"\x00" * 8, "bad magic byte 0x07: not Confluent wire format"),
        (b"\x00\x00", "record of 2 bytes is shorter than the 5-byte header"),
        (b"\x00" + struct.pack(">I", 987_654) + b"\x02", "unknown schema id 987654: not in the registry"),
    ],
)
def test_records_that_do_not_decode_come_back_with_the_reason(data: bytes, error: str) -> None:
    serde, client = mock_serde()
    client.register_schema(NewsUpdated.SUBJECT, Schema(NewsUpdated.SCHEMA_TEXT, "AVRO"))
    decoded = RecordDecoder(serde, NewsUpdated).decode(data)
    assert not decoded.ok and decoded.value is None
    assert decoded.error is not None and decoded.error.startswith(error), decoded.error


def test_a_truncated_body_does_not_decode() -> None:
    serde, client = mock_serde()
    schema_id = client.register_schema(NewsUpdated.SUBJECT, Schema(NewsUpdated.SCHEMA_TEXT, "AVRO"))
    data, _ = avro_bytes(schema_id, NewsUpdated.SCHEMA_TEXT)
    decoded = RecordDecoder(serde, NewsUpdated).decode(data[: len(data) // 2])
    assert not decoded.ok and decoded.schema_id == schema_id
    assert "does not match its writer schema" in (decoded.error or "")


def test_tombstones_and_topics_without_a_contract() -> None:
    assert RecordDecoder(None, None).decode(None).decoded_as == "tombstone"
    raw = RecordDecoder(None, None).decode(b'{"keytype": "SCHEMA"}')
    assert raw.ok and raw.decoded_as == "raw" and raw.value == {"keytype": "SCHEMA"}
    assert raw_value(b"plain text") == "plain text"
    assert raw_value(b"\xff\xfe") == "base64://4="


def test_each_topic_gets_its_contract_and_a_dead_letter_topic_its_sources() -> None:
    catalogue = load_catalogue()
    settings = Settings()
    for spec in catalogue.of_kind(TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM):
        assert RecordDecoder.for_topic(spec, settings).contract is not None, spec.name
    ticker = next(t for t in catalogue.topics if t.kind is TopicKind.STREAM)
    assert RecordDecoder.for_topic(ticker, settings).contract is TickerBatch
    dlq = catalogue.topic(catalogue.dead_letter_for(WeatherUpdated.TOPIC))
    assert RecordDecoder.for_topic(dlq, settings).contract is WeatherUpdated
    internal = catalogue.of_kind(TopicKind.INTERNAL)[0]
    assert RecordDecoder.for_topic(internal, settings).contract is None


def test_an_unreachable_registry_fails_the_check_as_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    spec = load_catalogue().topic(NewsUpdated.TOPIC)
    decoder = RecordDecoder.for_topic(spec, Settings(registry_url=url))
    with pytest.raises(CliError) as exc:
        decoder.check_registry()
    assert exc.value.code is ExitCode.UNAVAILABLE
    assert str(exc.value).startswith(f"cannot reach the schema registry at {url}")
