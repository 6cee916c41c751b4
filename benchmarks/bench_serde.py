"""Serde benchmark: Flux codecs vs confluent-kafka's serializers vs raw fastavro, same data, same run.

Typed encode (object → wire bytes) and typed decode (wire bytes → object) of a small, ticker-sized
record (``FetchWeather``, 120 bytes) and a news-sized record (``NewsUpdated`` with 20 articles, ~8 KB):

- flux: ``AvroCodec.encode``/``decode`` (the hot path behind ``Serde``/``AsyncSerde``), plus
  ``AsyncSerde.decode`` to show the cost of the async facade;
- confluent-kafka: ``AvroSerializer``/``AvroDeserializer`` with ``to_dict``/``from_dict`` hooks that
  build the same typed objects, on a registry client whose schemas are already cached (the
  ``mock://`` client, so no network in the timed loop);
- raw fastavro: ``schemaless_writer``/``schemaless_reader`` on prepared dicts, the library Flux's
  codecs fall back to. Flux can beat it: its decode reads a codec's own schema with a reader
  compiled from it (``flux.serde.avro_reader``), its encode remembers each field's bytes
  (``flux.serde.fieldwise``).

The Protobuf ticker batch is also timed against confluent-kafka's ``ProtobufSerializer``.

Data contracts (``--rules``, on by default): the ticker batch and the news snapshot encoded and
decoded with their rules off and on, by Flux's ``Serde`` (``write_rules``/``read_rules``) and by
confluent-kafka's serializers with ``use.latest.version`` and the same rules in the registry (its
CEL executors in a ``RuleRegistry``), in the same run. Two kinds of traffic: the same record again
and again (what a snapshot service publishes between changes: Flux's verdict memo answers), and a
different record every time (every rule evaluated in full on both sides). Flux evaluates the CEL
rules of its compiled subset as Python closures (:mod:`flux.serde.cel_compile`, cel-python as the
fallback); the column "flux cel-py" is Flux with that off, every rule through cel-python as in
confluent-kafka. Printed: msgs/s, the ratio Flux / confluent-kafka with rules on, and the rules'
cost per message (µs, on minus off).
Run: ``make bench-serde`` (``python benchmarks/bench_serde.py [--seconds 1.0] [--quick] [--no-rules]``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from confluent_kafka.schema_registry import AsyncSchemaRegistryClient, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from flux.contracts import Article, FetchTrigger, FetchWeather, Location, NewsUpdated, Tick, TickerBatch
from flux.schema_tools.subjects import load_subjects
from flux.serde import AsyncSerde, AvroCodec, ProtobufCodec, Serde
from flux.serde.contract_schema import contract_schema
from flux.serde.protobuf_codec import descriptor_base64
from flux.serde.rule_executors import RuleExecutors

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


def _rule_registry() -> Any:
    rules = RuleRegistry()
    rules.register_executor(CelExecutor())
    rules.register_executor(CelFieldExecutor())
    return rules


def _contract_registry(name: str, contract: type) -> tuple[SchemaRegistryClient, SchemaRegistryClient]:
    """Mock registries holding the subject's history with its contracts: one for Flux (schema text),
    one for confluent-kafka (a Protobuf schema as the base64 descriptor its serializer parses)."""
    subject = load_subjects().for_topic(contract_schema(contract).topic)
    clients = []
    for side in ("flux", "confluent"):
        client = SchemaRegistryClient.new_client({"url": f"mock://bench-rules-{name}-{side}"})
        for version in subject.versions:
            text = (
                descriptor_base64(contract)
                if side == "confluent" and contract is TickerBatch
                else version.text
            )
            body = {"schema": text, "schemaType": subject.format.value}
            body.update(
                {k: v for k, v in (("metadata", version.metadata), ("ruleSet", version.rule_set)) if v}
            )
            client.register_schema(subject.subject, Schema.from_dict(body))
        clients.append(client)
    return clients[0], clients[1]


def _variants(label: str, value: Any) -> Callable[[int], Any]:
    """The i-th distinct record: same size and shape, one value every rule reads differs."""
    if label == "ticker":

        def tick(i: int) -> Any:
            value.ticks[0].price = f"{64000 + i % 100_000}.45"
            return value

        return tick
    first = value.articles[0]

    def news(i: int) -> Any:
        return replace(value, articles=[replace(first, url=f"{first.url}?v={i}"), *value.articles[1:]])

    return news


def bench_rules(label: str, value: Any, seconds: float, rounds: int = 5) -> list[tuple[str, str, str, float]]:
    """Encode and decode with rules off and on, Flux next to confluent-kafka, same run."""
    contract = type(value)
    ours_client, their_client = _contract_registry(label, contract)
    ctx = SerializationContext(contract_schema(contract).topic, MessageField.VALUE)
    latest = {"auto.register.schemas": False, "use.latest.version": True}
    # rules off: confluent-kafka as the plain benchmark above runs it (its own schema, no rule set)
    plain = SchemaRegistryClient.new_client({"url": f"mock://bench-rules-{label}-plain"})
    if contract is TickerBatch:
        proto = {"use.deprecated.format": False}
        their_off = ProtobufSerializer(contract, plain, conf={**proto, "auto.register.schemas": True})
        their_on = ProtobufSerializer(
            contract, their_client, conf={**latest, **proto}, rule_registry=_rule_registry()
        )
        their_read_off = ProtobufDeserializer(contract, conf=proto)
        their_read_on = ProtobufDeserializer(
            contract,
            conf={**proto, "use.latest.version": True},
            schema_registry_client=their_client,
            rule_registry=_rule_registry(),
        )
    else:
        text = contract.SCHEMA_TEXT
        plain.register_schema(contract.SUBJECT, Schema(text, "AVRO"))
        to_dict = lambda o, _c: o.to_dict()  # noqa: E731
        from_dict = lambda d, _c: contract.from_dict(d)  # noqa: E731
        their_off = AvroSerializer(plain, text, to_dict=to_dict, conf={"auto.register.schemas": False})
        their_on = AvroSerializer(
            their_client, text, to_dict=to_dict, conf=latest, rule_registry=_rule_registry()
        )
        their_read_off = AvroDeserializer(their_client, text, from_dict=from_dict)
        their_read_on = AvroDeserializer(
            their_client,
            text,
            from_dict=from_dict,
            conf={"use.latest.version": True},
            rule_registry=_rule_registry(),
        )
    ours_off = Serde(ours_client)
    ours_on = Serde(ours_client, write_rules=True, read_rules=True)
    ours_cel = Serde(ours_client, write_rules=True, read_rules=True)
    ours_cel._runner.executors = RuleExecutors(compiled=False)  # every rule through cel-python
    variant = _variants(label, value)
    counter = iter(range(1 << 62))
    pool = [ours_off.encode(variant(i)) for i in range(5000)]  # more than the verdict memo holds
    cursor = iter(range(1 << 62))
    same = ours_off.encode(value)
    for candidate in (ours_on.encode(value), ours_cel.encode(value), their_on(value, ctx)):
        assert len(candidate) == len(same), "rules must let the benchmark's record through"
    results = measure(
        {
            "encode same flux off": loop_of(lambda: ours_off.encode(value)),
            "encode same flux on": loop_of(lambda: ours_on.encode(value)),
            "encode same flux cel-py": loop_of(lambda: ours_cel.encode(value)),
            "encode same confluent off": loop_of(lambda: their_off(value, ctx)),
            "encode same confluent on": loop_of(lambda: their_on(value, ctx)),
            "encode distinct flux off": loop_of(lambda: ours_off.encode(variant(next(counter)))),
            "encode distinct flux on": loop_of(lambda: ours_on.encode(variant(next(counter)))),
            "encode distinct flux cel-py": loop_of(lambda: ours_cel.encode(variant(next(counter)))),
            "encode distinct confluent off": loop_of(lambda: their_off(variant(next(counter)), ctx)),
            "encode distinct confluent on": loop_of(lambda: their_on(variant(next(counter)), ctx)),
            "decode same flux off": loop_of(lambda: ours_off.decode(contract, same)),
            "decode same flux on": loop_of(lambda: ours_on.decode(contract, same)),
            "decode same flux cel-py": loop_of(lambda: ours_cel.decode(contract, same)),
            "decode same confluent off": loop_of(lambda: their_read_off(same, ctx)),
            "decode same confluent on": loop_of(lambda: their_read_on(same, ctx)),
            "decode distinct flux off": loop_of(lambda: ours_off.decode(contract, pool[next(cursor) % 5000])),
            "decode distinct flux on": loop_of(lambda: ours_on.decode(contract, pool[next(cursor) % 5000])),
            "decode distinct flux cel-py": loop_of(
                lambda: ours_cel.decode(contract, pool[next(cursor) % 5000])
            ),
            "decode distinct confluent off": loop_of(lambda: their_read_off(pool[next(cursor) % 5000], ctx)),
            "decode distinct confluent on": loop_of(lambda: their_read_on(pool[next(cursor) % 5000], ctx)),
        },
        seconds,
        rounds=rounds,
    )
    rows = []
    for name, rate in results.items():
        op, traffic, side, rules = name.split()
        rows.append((label, f"{op} {traffic}", f"{side} {rules}", rate))
    return rows


def report_rules(rows: list[tuple[str, str, str, float]]) -> None:
    rate = {(label, what, who): value for label, what, who, value in rows}
    print(
        f"\n{'record':<8} {'operation':<17} {'flux off':>9} {'flux on':>9} {'cel-py':>9} {'conf. off':>9}"
        f" {'conf. on':>9} {'on: flux/conf.':>14} {'rules: flux':>12} {'cel-py':>10} {'confluent':>10}"
    )
    for label, what in dict.fromkeys((label, what) for label, what, _, _ in rows):
        fo, fn = rate[(label, what, "flux off")], rate[(label, what, "flux on")]
        fc = rate[(label, what, "flux cel-py")]
        co, cn = rate[(label, what, "confluent off")], rate[(label, what, "confluent on")]
        cost = [(1 / on - 1 / off) * 1e6 for on, off in ((fn, fo), (fc, fo), (cn, co))]
        print(
            f"{label:<8} {what:<17} {fo:>9,.0f} {fn:>9,.0f} {fc:>9,.0f} {co:>9,.0f} {cn:>9,.0f}"
            f" {fn / cn:>13.2f}x {cost[0]:>9,.1f} µs {cost[1]:>7,.0f} µs {cost[2]:>7,.0f} µs"
        )
    print(
        "(msgs/s; 'same': one record again and again; 'distinct': a different record every time;"
        " cel-py: Flux with its compiled CEL subset off; rules: cost per message, on minus off)"
    )


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
    parser.add_argument("--no-rules", dest="rules", action="store_false", help="skip the data-contract runs")
    parser.add_argument("--quick", action="store_true", help="a short run (< 60 s): fewer, shorter rounds")
    args = parser.parse_args()
    seconds = min(args.seconds, 1.5) if args.quick else args.seconds
    rows = bench_avro("ticker", ticker_sized(), seconds)
    rows += bench_avro("news", news_sized(), seconds)
    rows += bench_protobuf(seconds)
    report(rows)
    if args.rules:
        rounds = 3 if args.quick else 5
        rule_rows = bench_rules("ticker", ticker_batch(), seconds * 2, rounds)
        rule_rows += bench_rules("news", news_sized(), seconds * 2, rounds)
        report_rules(rule_rows)


if __name__ == "__main__":
    main()
