"""Flux's serde and confluent-kafka's serializers reach the same verdict on the same rules.

One table of good and bad records per subject. Each record goes through Flux's ``Serde`` (rules
from the generated contracts) and through confluent-kafka's ``AvroSerializer`` /
``ProtobufSerializer`` with ``use.latest.version`` (rules from the registry, which holds what
``make register-schemas`` registers), sharing confluent-kafka's in-process mock registry. A good
record must give the same bytes from both (coordinates coarsened alike); a bad one must be refused
by both, naming the same rule, and confluent-kafka's ``DlqAction`` must park it with the same
rule in ``__rule.name`` where Flux says ``DLQ``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.schema_registry.rules.dlq.dlq_action import DlqAction
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from flux.contracts import NewsUpdated, TickerBatch, TopCoinsUpdated, TopPerformersUpdated, WeatherUpdated
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import load_subjects
from flux.serde import RuleViolation, Serde
from flux.serde.contract_schema import contract_schema
from flux.serde.protobuf_codec import descriptor_base64

from .golden import golden_ticker_batch


class RecordingProducer:
    """Stands in for the DLQ action's Kafka producer (confluent-kafka's ``producer`` test hook)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def produce(self, topic: str, key: Any = None, value: Any = None, headers: Any = None, **_: Any) -> None:
        self.records.append({"topic": topic, "headers": dict(headers or [])})

    def poll(self, _timeout: float) -> int:
        return 0

    def flush(self, *_: Any) -> int:
        return 0


def _registry(name: str, contract: type, *, serialized: bool = False) -> SchemaRegistryClient:
    """A mock registry holding the subject's history as ``make register-schemas`` registers it
    (``serialized``: Protobuf as the base64 descriptor, the form confluent-kafka's serializer reads;
    the mock, unlike a registry, does not convert)."""
    client = SchemaRegistryClient.new_client({"url": f"mock://verdicts-{name}-{serialized}"})
    subject = load_subjects().for_topic(contract_schema(contract).topic)
    for version in subject.versions:
        text = descriptor_base64(TickerBatch) if serialized else version.text
        body = {"schema": text, "schemaType": subject.format.value}
        body.update({k: v for k, v in (("metadata", version.metadata), ("ruleSet", version.rule_set)) if v})
        client.register_schema(subject.subject, Schema.from_dict(body))
    return client


def _confluent(
    client: SchemaRegistryClient, contract: type, producer: RecordingProducer
) -> Callable[[Any], bytes]:
    rules = RuleRegistry()
    rules.register_executor(CelExecutor())
    rules.register_executor(CelFieldExecutor())
    rules.register_action(DlqAction({"producer": producer}))
    conf = {"auto.register.schemas": False, "use.latest.version": True}
    ctx = SerializationContext(contract_schema(contract).topic, MessageField.VALUE)
    if contract is TickerBatch:
        proto = ProtobufSerializer(
            TickerBatch, client, conf={**conf, "use.deprecated.format": False}, rule_registry=rules
        )
        return lambda obj: proto(obj, ctx)
    avro = AvroSerializer(
        client,
        contract.SCHEMA_TEXT,
        lambda obj, _: obj.to_dict(),
        conf=conf,
        rule_registry=rules,  # type: ignore[attr-defined]
    )
    return lambda obj: avro(obj, ctx)


def _datum(contract: Any) -> dict[str, Any]:
    datum = example_datum(json.loads(contract.SCHEMA_TEXT))
    if contract is WeatherUpdated:
        datum["error"] = None
        datum["data"].update(country="IN", lat=28.61394, lon=77.20902)
    for item in datum.get("coins", []):
        item["symbol"] = "BTC"
    for article in datum.get("articles", []):
        article.update(url="https://news.example/story-1", image_url=None)
    for performer in datum.get("performers", []):
        performer.update(currency="USD")
    if "quote_currency" in datum:
        datum["quote_currency"] = "USD"
    return datum


def _weather(**data: Any) -> Callable[[], Any]:
    def build() -> Any:
        datum = _datum(WeatherUpdated)
        datum["data"].update(data)
        return WeatherUpdated.from_dict(datum)

    return build


def _edited(contract: Any, edit: Callable[[dict[str, Any]], None]) -> Callable[[], Any]:
    def build() -> Any:
        datum = _datum(contract)
        edit(datum)
        return contract.from_dict(datum)

    return build


def _ticker(**tick: str) -> Callable[[], Any]:
    def build() -> Any:
        batch = golden_ticker_batch()
        for key, value in tick.items():
            setattr(batch.ticks[0], key, value)
        return batch

    return build


# (name, contract, record, the rule that refuses it or None for a good record)
TABLE: list[tuple[str, type, Callable[[], Any], str | None]] = [
    ("weather-good", WeatherUpdated, _weather(), None),
    ("weather-900C", WeatherUpdated, _weather(temperature_c=900.0), "temperatureInRange"),
    ("weather-humidity", WeatherUpdated, _weather(humidity_pct=120), "humidityInRange"),
    ("weather-wind", WeatherUpdated, _weather(wind_speed_mps=-3.0), "windInRange"),
    ("weather-lat", WeatherUpdated, _weather(lat=-95.0), "coordinatesInRange"),
    ("weather-country", WeatherUpdated, _weather(country="india"), "countryIsAlpha2"),
    ("coins-good", TopCoinsUpdated, _edited(TopCoinsUpdated, lambda d: None), None),
    (
        "coins-negative",
        TopCoinsUpdated,
        _edited(TopCoinsUpdated, lambda d: d["coins"][0].update(price=Decimal("-5.000000000000"))),
        "coinPricesPositive",
    ),
    (
        "coins-symbol",
        TopCoinsUpdated,
        _edited(TopCoinsUpdated, lambda d: d["coins"][0].update(symbol="")),
        "coinSymbolsNonEmpty",
    ),
    ("news-good", NewsUpdated, _edited(NewsUpdated, lambda d: None), None),
    (
        "news-http",
        NewsUpdated,
        _edited(NewsUpdated, lambda d: d["articles"][0].update(url="http://news.example/a")),
        "articleUrlsAbsoluteHttps",
    ),
    (
        "news-relative",
        NewsUpdated,
        _edited(NewsUpdated, lambda d: d["articles"][0].update(url="/story")),
        "articleUrlsAbsoluteHttps",
    ),
    ("stocks-good", TopPerformersUpdated, _edited(TopPerformersUpdated, lambda d: None), None),
    (
        "stocks-crash",
        TopPerformersUpdated,
        _edited(TopPerformersUpdated, lambda d: d["performers"][0].update(change_pct=-101.0)),
        "stockChangeBounded",
    ),
    ("ticker-good", TickerBatch, _ticker(), None),
    ("ticker-crossed", TickerBatch, _ticker(best_bid="64200.00"), "tickBidNotAboveAsk"),
    ("ticker-free", TickerBatch, _ticker(price="0"), "tickPricesPositive"),
]


@pytest.mark.parametrize(("name", "contract", "build", "broken"), TABLE, ids=[row[0] for row in TABLE])
def test_flux_and_confluent_reach_the_same_verdict(
    name: str, contract: type, build: Callable[[], Any], broken: str | None
) -> None:
    client = _registry(name, contract)
    producer = RecordingProducer()
    confluent = _confluent(_registry(name, contract, serialized=contract is TickerBatch), contract, producer)
    flux = Serde(client, write_rules=True)
    if broken is None:
        ours = flux.encode(build())
        assert ours == confluent(build())
        return
    with pytest.raises(RuleViolation) as refused:
        flux.encode(build())
    with pytest.raises(SerializationError, match=f"Rule failed: {broken}"):
        confluent(build())
    assert refused.value.rule == broken and refused.value.action == "DLQ"
    assert [r["headers"]["__rule.name"] for r in producer.records] == [broken.encode()]
    assert producer.records[0]["topic"] == f"{contract_schema(contract).topic}.dlq"
