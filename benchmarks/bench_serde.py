"""Serde benchmark: Flux codecs vs confluent-kafka's serializers vs raw fastavro, same data, same run.

Typed encode (object → wire bytes) and typed decode (wire bytes → object) of a small, ticker-sized
record (``FetchWeather``, 120 bytes) and a news-sized record (``NewsUpdated`` with 20 articles, ~8 KB):

- flux: ``AvroCodec.encode``/``decode`` (the hot path behind ``Serde``/``AsyncSerde``), plus
  ``AsyncSerde.decode`` to show the cost of the async facade;
- confluent-kafka: ``AvroSerializer``/``AvroDeserializer`` with ``to_dict``/``from_dict`` hooks that
  build the same typed objects, on a registry client whose schemas are already cached (the
  ``mock://`` client, so no network in the timed loop);
- raw fastavro: ``schemaless_writer``/``schemaless_reader`` on prepared dicts — the limit.

The Protobuf ticker batch is also timed against confluent-kafka's ``ProtobufSerializer``.
Run: ``make bench-serde`` (``python benchmarks/bench_serde.py [--seconds 1.0]``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from confluent_kafka.schema_registry import AsyncSchemaRegistryClient, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from flux.contracts import Article, FetchTrigger, FetchWeather, Location, NewsUpdated, Tick, TickerBatch
from flux.serde import AsyncSerde, AvroCodec, ProtobufCodec
from flux.serde.contract_schema import contract_schema

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def ticker_sized() -> FetchWeather:
    """A small command, about the size of one ticker tick."""
    return FetchWeather(
        command_id=UUID(int=0x1234),
        issued_at=NOW,
        event=FetchTrigger.LOCATION_UPDATE,
        user_id=UUID(int=0x5678),
        data=Location(city="Delhi", lat=28.61, lon=77.2),
        timestamp=NOW,
    )


def news_sized(articles: int = 20) -> NewsUpdated:
    """A news snapshot of ``articles`` realistic articles."""
    return NewsUpdated(
        event_id=UUID(int=1),
        produced_at=NOW,
        source="news-service",
        correlation_id=UUID(int=2),
        snapshot_hash="9f" * 32,
        articles=[
            Article(
                id=f"article-{i}",
                title=f"Markets rally as central bank signals pause in rate hikes, number {i}",
                url=f"https://news.example.com/2026/11/22/markets-rally-{i}",
                source="Example Wire",
                published_at=NOW - timedelta(minutes=i),
                summary="Stocks rose broadly on Friday after the central bank indicated it would hold "
                "rates steady, easing concerns about borrowing costs heading into the new year.",
                image_url=f"https://img.example.com/{i}.jpg",
                tags=["markets", "economy"],
                attributes={"author": "A. Writer", "language": "en"},
            )
            for i in range(articles)
        ],
    )


def ticker_batch(ticks: int = 10) -> TickerBatch:
    """A Protobuf ticker batch of ``ticks`` ticks."""
    return TickerBatch(
        batch_sequence=1,
        produced_at_ms=1_795_000_000_000,
        source="crypto-service",
        ticks=[
            Tick(
                product_id="BTC-USD",
                price="64123.45",
                best_bid="64123.40",
                best_ask="64123.50",
                volume_24h="12345.678",
                time_ms=1_795_000_000_000 + i,
                trade_id=1000 + i,
                last_size="0.015",
            )
            for i in range(ticks)
        ],
    )


Batch = Callable[[int], None]


def loop_of(func: Callable[[], Any]) -> Batch:
    """A batch runner calling ``func`` n times."""

    def run(n: int) -> None:
        for _ in range(n):
            func()

    return run


def async_loop_of(loop: asyncio.AbstractEventLoop, make: Callable[[], Any]) -> Batch:
    """A batch runner awaiting ``make()`` n times inside one running event loop."""

    async def batch(n: int) -> None:
        for _ in range(n):
            await make()

    return lambda n: loop.run_until_complete(batch(n))


def measure(candidates: dict[str, Batch], seconds: float, rounds: int = 15) -> dict[str, float]:
    """Calls per second of each candidate: interleaved rounds, best round kept (load-noise resistant)."""
    sizes = {}
    for name, run in candidates.items():  # calibrate: one round of one candidate ~ seconds / rounds / n
        n, elapsed = 10, 0.0
        while elapsed < 0.01:
            n *= 2
            started = time.perf_counter()
            run(n)
            elapsed = time.perf_counter() - started
        sizes[name] = max(1, int(n * (seconds / rounds / len(candidates)) / elapsed))
    best = dict.fromkeys(candidates, 0.0)
    for _ in range(rounds):
        for name, run in candidates.items():
            started = time.perf_counter()
            run(sizes[name])
            best[name] = max(best[name], sizes[name] / (time.perf_counter() - started))
    return best


def bench_avro(label: str, value: Any, seconds: float) -> list[tuple[str, str, float]]:
    contract = type(value)
    subject = contract.SUBJECT
    client = SchemaRegistryClient.new_client({"url": f"mock://bench-{label}"})
    schema_id = client.register_schema(subject, Schema(contract.SCHEMA_TEXT, "AVRO"))
    ctx = SerializationContext(contract.TOPIC, MessageField.VALUE)
    their_writer = AvroSerializer(
        client, contract.SCHEMA_TEXT, to_dict=lambda o, _c: o.to_dict(), conf={"auto.register.schemas": False}
    )
    their_reader = AvroDeserializer(
        client, contract.SCHEMA_TEXT, from_dict=lambda d, _c: contract.from_dict(d)
    )
    codec = AvroCodec(contract, schema_id)
    data = codec.encode(value)
    assert their_writer(value, ctx) == data, "confluent-kafka and Flux must write identical bytes"
    assert their_reader(data, ctx) == value
    assert codec.decode(data) == value

    parsed = parse_schema(json.loads(contract.SCHEMA_TEXT))
    datum = value.to_dict()
    body = data[5:]

    def raw_encode() -> bytes:
        buffer = io.BytesIO()
        schemaless_writer(buffer, parsed, datum)
        return buffer.getvalue()

    def raw_decode() -> Any:
        return schemaless_reader(io.BytesIO(body), parsed)

    loop = asyncio.new_event_loop()
    async_client = AsyncSchemaRegistryClient.new_client({"url": f"mock://bench-async-{label}"})
    serde = AsyncSerde(async_client)
    loop.run_until_complete(async_client.register_schema(subject, Schema(contract.SCHEMA_TEXT, "AVRO")))
    async_data = loop.run_until_complete(serde.encode(value))

    print(f"{label}: {contract.__name__}, {len(data)} bytes on the wire", flush=True)
    rates = measure(
        {
            "encode flux AvroCodec": loop_of(lambda: codec.encode(value)),
            "encode confluent AvroSerializer": loop_of(lambda: their_writer(value, ctx)),
            "encode raw fastavro (dict)": loop_of(raw_encode),
            "decode flux AvroCodec": loop_of(lambda: codec.decode(data)),
            "decode flux AsyncSerde": async_loop_of(loop, lambda: serde.decode(contract, async_data)),
            "decode confluent AvroDeserializer": loop_of(lambda: their_reader(data, ctx)),
            "decode raw fastavro (dict)": loop_of(raw_decode),
        },
        seconds,
    )
    loop.close()
    return [(label, name, value) for name, value in rates.items()]


def bench_protobuf(seconds: float) -> list[tuple[str, str, float]]:
    batch = ticker_batch()
    coordinates = contract_schema(TickerBatch)
    client = SchemaRegistryClient.new_client({"url": "mock://bench-proto"})
    ctx = SerializationContext(coordinates.topic, MessageField.VALUE)
    their_writer = ProtobufSerializer(TickerBatch, client, conf={"auto.register.schemas": True})
    their_reader = ProtobufDeserializer(TickerBatch, conf={"use.deprecated.format": False})
    their_bytes = their_writer(batch, ctx)
    schema_id = int.from_bytes(their_bytes[1:5], "big")  # share confluent's id so bytes compare equal
    codec = ProtobufCodec(TickerBatch, schema_id, coordinates.text)
    data = codec.encode(batch)
    assert data == their_bytes
    assert codec.decode(data) == batch
    print(f"ticker batch (Protobuf): {len(batch.ticks)} ticks, {len(data)} bytes on the wire", flush=True)
    rates = measure(
        {
            "encode flux ProtobufCodec": loop_of(lambda: codec.encode(batch)),
            "encode confluent ProtobufSerializer": loop_of(lambda: their_writer(batch, ctx)),
            "encode raw SerializeToString": loop_of(batch.SerializeToString),
            "decode flux ProtobufCodec": loop_of(lambda: codec.decode(data)),
            "decode confluent ProtobufDeserializer": loop_of(lambda: their_reader(data, ctx)),
            "decode raw FromString": loop_of(lambda: TickerBatch.FromString(data[6:])),
        },
        seconds,
    )
    return [("protobuf", name, value) for name, value in rates.items()]


def report(rows: list[tuple[str, str, float]]) -> None:
    by_key = {(label, name): value for label, name, value in rows}
    print(f"\n{'record':<10} {'operation':<40} {'msgs/s':>12}")
    for label, name, value in rows:
        print(f"{label:<10} {name:<40} {value:>12,.0f}")
    print("\nratios (flux / peer):")
    for label in dict.fromkeys(label for label, _, _ in rows):
        if label == "protobuf":
            pairs = [
                ("encode", "ProtobufCodec", "confluent ProtobufSerializer", "raw SerializeToString"),
                ("decode", "ProtobufCodec", "confluent ProtobufDeserializer", "raw FromString"),
            ]
        else:
            pairs = [
                ("encode", "AvroCodec", "confluent AvroSerializer", "raw fastavro (dict)"),
                ("decode", "AvroCodec", "confluent AvroDeserializer", "raw fastavro (dict)"),
            ]
        for op, ours, theirs, raw in pairs:
            mine = by_key[(label, f"{op} flux {ours}")]
            vs_confluent = mine / by_key[(label, f"{op} {theirs}")]
            vs_raw = mine / by_key[(label, f"{op} {raw}")]
            print(f"  {label:<10} {op}: {vs_confluent:5.2f}x confluent-kafka, {vs_raw:5.2f}x raw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=6.0, help="time per record kind (all candidates)")
    args = parser.parse_args()
    rows = bench_avro("ticker", ticker_sized(), args.seconds)
    rows += bench_avro("news", news_sized(), args.seconds)
    rows += bench_protobuf(args.seconds)
    report(rows)


if __name__ == "__main__":
    main()
