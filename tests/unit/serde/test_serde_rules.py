"""The serdes enforce each contract's generated rules (confluent-kafka's mock registry): on write,
on read, through migrations between versions, and whatever the registry kept."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from confluent_kafka.schema_registry import AsyncSchemaRegistryClient, Schema, SchemaRegistryClient
from fastavro import schemaless_writer
from prometheus_client import REGISTRY

from flux.contracts import NewsUpdated, TopCoinsUpdated, TopPerformersUpdated, WeatherUpdated
from flux.contracts.generated.data_contracts import DATA_CONTRACTS
from flux.schema_tools.examples import example_datum
from flux.serde import AsyncSerde, RuleViolation, Serde, SerdeError
from flux.serde.contract_rules import ContractRules
from flux.serde.json_datum import from_json_value, to_json_value
from flux.serde.wire import pack_header

from .samples import ticker_sample

WEATHER = WeatherUpdated.SUBJECT


def _client(name: str) -> SchemaRegistryClient:
    return SchemaRegistryClient.new_client({"url": f"mock://{name}"})


def weather_datum(**data: Any) -> dict[str, Any]:
    datum = example_datum(json.loads(WeatherUpdated.SCHEMA_TEXT))
    datum["error"] = None
    datum["data"].update({"country": "DE", "lat": 28.6139, "lon": 77.209, **data})
    return datum


def weather(**data: Any) -> WeatherUpdated:
    return WeatherUpdated.from_dict(weather_datum(**data))


def _violations(subject: str, rule: str, action: str) -> float:
    value = REGISTRY.get_sample_value(
        "flux_serde_contract_violations_total", {"subject": subject, "rule": rule, "action": action}
    )
    return value or 0.0


def test_every_event_subject_carries_conditions_from_its_rules_file() -> None:
    for subject in (WEATHER, NewsUpdated.SUBJECT, TopCoinsUpdated.SUBJECT, TopPerformersUpdated.SUBJECT):
        latest = DATA_CONTRACTS[subject][max(DATA_CONTRACTS[subject])]
        kinds = {r["kind"] for r in latest["ruleSet"]["domainRules"]}
        assert "CONDITION" in kinds
        assert latest["metadata"]["properties"]["owner"].endswith("-service")


def test_write_rules_run_only_when_asked() -> None:
    client = _client("write-off")
    hot = weather(temperature_c=900.0)
    assert Serde(client, auto_register=True).encode(hot)[:1] == b"\x00"
    with pytest.raises(RuleViolation):
        Serde(client, auto_register=True, write_rules=True).encode(hot)


def test_a_weather_event_at_900_degrees_is_refused_with_the_rule_and_its_action() -> None:
    serde = Serde(_client("hot"), auto_register=True, write_rules=True)
    before = _violations(WEATHER, "temperatureInRange", "DLQ")
    with pytest.raises(RuleViolation) as raised:
        serde.encode(weather(temperature_c=900.0))
    assert isinstance(raised.value, SerdeError)
    assert (raised.value.subject, raised.value.rule, raised.value.action) == (
        WEATHER,
        "temperatureInRange",
        "DLQ",
    )
    assert _violations(WEATHER, "temperatureInRange", "DLQ") == before + 1


@pytest.mark.parametrize(
    ("change", "broken"),
    [
        ({"humidity_pct": 101}, "humidityInRange"),
        ({"wind_speed_mps": -1.0}, "windInRange"),
        ({"wind_direction_deg": 360}, "windInRange"),
        ({"lat": 91.0}, "coordinatesInRange"),
        ({"country": "de"}, "countryIsAlpha2"),
        ({"feels_like_c": 150.0}, "feelsLikeInRange"),
    ],
)
def test_each_weather_range_has_its_rule(change: dict[str, Any], broken: str) -> None:
    serde = Serde(_client(f"w-{broken}"), auto_register=True, write_rules=True)
    with pytest.raises(RuleViolation) as raised:
        serde.encode(weather(**change))
    assert raised.value.rule == broken


def test_status_must_match_the_payload() -> None:
    serde = Serde(_client("status"), auto_register=True, write_rules=True)
    datum = weather_datum()
    datum["status"] = "error"
    with pytest.raises(RuleViolation, match="statusMatchesPayload"):
        serde.encode(WeatherUpdated.from_dict(datum))


def test_coordinates_tagged_pii_are_coarsened_on_write() -> None:
    serde = Serde(_client("coarsen"), auto_register=True, write_rules=True)
    event = serde.decode(WeatherUpdated, serde.encode(weather(lat=-33.86882, lon=151.20929)))
    assert event.data is not None and (event.data.lat, event.data.lon) == (-33.87, 151.21)


@pytest.mark.parametrize(
    ("contract", "edit", "broken"),
    [
        (
            TopCoinsUpdated,
            lambda d: d["coins"][0].update(price=Decimal("-1.000000000000")),
            "coinPricesPositive",
        ),
        (TopCoinsUpdated, lambda d: d["coins"][0].update(market_cap=Decimal("0.00")), "marketCapsPositive"),
        (TopCoinsUpdated, lambda d: d["coins"][0].update(symbol=""), "coinSymbolsNonEmpty"),
        (
            NewsUpdated,
            lambda d: d["articles"][0].update(url="http://news.example/a"),
            "articleUrlsAbsoluteHttps",
        ),
        (NewsUpdated, lambda d: d["articles"][0].update(url="https://"), "articleUrlsAbsoluteHttps"),
        (TopPerformersUpdated, lambda d: d["performers"][0].update(change_pct=-150.0), "stockChangeBounded"),
        (TopPerformersUpdated, lambda d: d["performers"][0].update(price=Decimal(0)), "stockPricesPositive"),
    ],
)
def test_market_and_news_rules(contract: Any, edit: Any, broken: str) -> None:
    datum = _valid(contract)
    serde = Serde(_client(f"m-{broken}"), auto_register=True, write_rules=True)
    assert serde.encode(contract.from_dict(datum))
    edit(datum)
    with pytest.raises(RuleViolation) as raised:
        serde.encode(contract.from_dict(datum))
    assert raised.value.rule == broken


def _valid(contract: Any) -> dict[str, Any]:
    datum = example_datum(json.loads(contract.SCHEMA_TEXT))
    for item in datum.get("coins", []) + datum.get("gainers", []) + datum.get("losers", []):
        item["symbol"] = "BTC"
    for article in datum.get("articles", []):
        article.update(url="https://news.example/a", image_url="https://img.example/a.png")
    for performer in datum.get("performers", []):
        performer.update(currency="USD", change_pct=2.5)
    if "quote_currency" in datum:
        datum["quote_currency"] = "USD"
    return datum


def test_a_crossed_ticker_book_is_refused() -> None:
    serde = Serde(_client("ticker"), auto_register=True, write_rules=True)
    batch = ticker_sample()
    assert serde.encode(batch)
    batch.ticks[1].best_bid = "64124.00"
    with pytest.raises(RuleViolation) as raised:
        serde.encode(batch)
    assert raised.value.rule == "tickBidNotAboveAsk"


def test_ticks_without_a_bid_or_ask_pass_on_write_and_read_and_an_empty_price_fails() -> None:
    client = _client("ticker-unset")
    batch = ticker_sample()
    batch.ticks[0].best_bid = ""  # proto3's "not set": Coinbase does not always send a book
    batch.ticks[1].best_ask = ""
    data = Serde(client, auto_register=True, write_rules=True).encode(batch)
    assert Serde(client, read_rules=True).decode_datum(type(batch), data).ticks[0].best_bid == ""
    batch.ticks[0].price = ""
    with pytest.raises(RuleViolation) as raised:
        Serde(client, write_rules=True).encode(batch)
    assert raised.value.rule == "tickPricesPositive"


def test_read_rules_refuse_a_bad_record_written_without_rules() -> None:
    client = _client("read")
    data = Serde(client, auto_register=True).encode(weather(temperature_c=900.0))
    assert Serde(client).decode(WeatherUpdated, data).data is not None
    with pytest.raises(RuleViolation) as raised:
        Serde(client, read_rules=True).decode(WeatherUpdated, data)
    assert raised.value.action == "ERROR" and raised.value.mode == "READ"


def test_rules_are_enforced_when_the_registry_holds_none() -> None:
    client = _client("dropped")
    client.register_schema(WEATHER, Schema(WeatherUpdated.SCHEMA_TEXT, "AVRO"))  # as Community keeps it
    serde = Serde(client, write_rules=True)
    with pytest.raises(RuleViolation, match="temperatureInRange"):
        serde.encode(weather(temperature_c=900.0))


def test_a_v1_reader_gets_v2_records_in_its_shape_and_v2_readers_get_v1_records_upgraded() -> None:
    client = _client("versions")
    rules = ContractRules(WeatherUpdated)
    v1 = client.register_schema(WEATHER, rules.schema(1))
    serde = Serde(client, auto_register=True, write_rules=True, read_rules=True)
    v2_bytes = serde.encode(weather(feels_like_c=30.5))
    as_v1 = serde.decode_datum(WeatherUpdated, v2_bytes, version=1)
    assert "feels_like_c" not in as_v1["data"] and as_v1["data"]["temperature_c"] == 21.5
    v1_datum = weather_datum()
    del v1_datum["data"]["feels_like_c"]

    body = io.BytesIO()
    schemaless_writer(body, rules.avro(1).parsed, v1_datum)
    v1_bytes = pack_header(v1) + body.getvalue()
    upgraded = serde.decode(WeatherUpdated, v1_bytes)
    assert upgraded.data is not None and upgraded.data.feels_like_c is None
    assert serde.decode_datum(WeatherUpdated, v1_bytes, version=1)["data"] == v1_datum["data"]


def test_a_v1_record_with_error_status_migrates_with_a_null_payload() -> None:
    datum = weather_datum()
    datum.update(status="error", data=None, error={"code": "x", "message": "y", "retryable": False})
    rules = ContractRules(WeatherUpdated)
    assert rules.migrate(datum, 2, 1)["data"] is None
    assert rules.migrate(datum, 1, 2)["error"]["code"] == "x"


async def test_async_serde_enforces_the_same_rules() -> None:
    serde = AsyncSerde(
        AsyncSchemaRegistryClient.new_client({"url": "mock://async-rules"}),
        auto_register=True,
        write_rules=True,
        read_rules=True,
    )
    good = await serde.encode(weather(lat=1.23456))
    assert (await serde.decode(WeatherUpdated, good)).data.lat == 1.23  # type: ignore[union-attr]
    with pytest.raises(RuleViolation, match="humidityInRange"):
        await serde.encode(weather(humidity_pct=-3))
    as_v1 = await serde.decode_datum(WeatherUpdated, good, version=1)
    assert "feels_like_c" not in as_v1["data"]


def test_json_values_round_trip_through_the_target_schema() -> None:
    schema = ContractRules(WeatherUpdated).avro(2).expanded
    datum = weather_datum()
    datum["event_id"] = UUID(int=5)
    datum["produced_at"] = datetime(2026, 2, 1, 12, 0, 0, 123000, tzinfo=UTC)
    json_form = to_json_value(datum)
    assert json_form["event_id"] == str(UUID(int=5)) and isinstance(json_form["produced_at"], int)
    assert from_json_value(json_form, schema) == datum


def test_coins_decimals_survive_the_json_form() -> None:
    schema = ContractRules(TopCoinsUpdated).avro(1).expanded
    datum = _valid(TopCoinsUpdated)
    assert from_json_value(to_json_value(datum), schema) == datum
    assert replace(TopCoinsUpdated.from_dict(datum)) == TopCoinsUpdated.from_dict(datum)
