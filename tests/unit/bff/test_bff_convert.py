"""Generated contracts → Snapshot: keys, ids, produced_at and client JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from flux.bff.convert import _CAMEL_NAMES, UnsupportedEvent, _camel_remembered, jsonable, to_snapshot
from flux.bff.snapshot import Snapshot, Stream
from flux.contracts import (
    CoinMove,
    RefreshNews,
    StockPerformance,
    Tick,
    TickerBatch,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherError,
    WeatherStatus,
    WeatherUpdated,
)
from flux.serde import AvroCodec

AT = datetime(2026, 11, 22, 3, 0, 0, 123000, tzinfo=UTC)


def snapshot_of(event: Any) -> Snapshot:
    """The BFF's event path: the event on the wire, read back as a datum, reshaped once."""
    if isinstance(event, TickerBatch):
        return to_snapshot(TickerBatch, event)
    codec = AvroCodec(type(event), schema_id=1)
    return to_snapshot(type(event), codec.decode_datum(codec.encode(event)))


AT_MS = int(AT.timestamp() * 1000)


def test_weather_error_event() -> None:
    event = WeatherUpdated(
        event_id=uuid.uuid4(),
        produced_at=AT,
        source="weather-service",
        snapshot_hash="h1",
        city_key="atlantis",
        status=WeatherStatus.ERROR,
        error=WeatherError(code="city_not_found", message="no such city"),
    )
    snap = snapshot_of(event)
    assert (snap.stream, snap.key, snap.snapshot_id, snap.produced_at_ms) == (
        Stream.WEATHER,
        "atlantis",
        "h1",
        AT_MS,
    )
    assert snap.room == "weather.atlantis"
    assert snap.data == {
        "cityKey": "atlantis",
        "status": "error",
        "observation": None,
        "error": {"code": "city_not_found", "message": "no such city", "retryable": False},
    }


def test_movers_and_stocks_use_camel_case_and_exact_decimals() -> None:
    movers = TopMoversUpdated(
        event_id=uuid.uuid4(),
        produced_at=AT,
        source="crypto-service",
        snapshot_hash="m1",
        gainers=[
            CoinMove(
                symbol="SOL",
                name="Solana",
                price=Decimal("154.4100"),
                change_pct_24h=7.5,
                volume_24h=Decimal("1E+3"),
            )
        ],
        losers=[],
    )
    snap = snapshot_of(movers)
    assert snap.stream is Stream.MOVERS and snap.key == "global"
    assert snap.data["gainers"][0] == {
        "symbol": "SOL",
        "name": "Solana",
        "price": "154.41",
        "changePct24h": 7.5,
        "volume24h": "1000",
    }
    assert "eventId" not in snap.data and "snapshotHash" not in snap.data
    stocks = TopPerformersUpdated(
        event_id=uuid.uuid4(),
        produced_at=AT,
        source="stock-service",
        snapshot_hash="s1",
        performers=[StockPerformance(symbol="GME", name="GameStop", price=Decimal("32.30"), change_pct=19.6)],
        as_of=AT,
    )
    data = snapshot_of(stocks).data
    assert data["asOf"] == "2026-11-22T03:00:00.123Z"
    assert data["performers"][0]["changePct"] == 19.6


def test_ticker_batch() -> None:
    batch = TickerBatch(
        batch_sequence=42,
        produced_at_ms=AT_MS,
        source="crypto-service",
        ticks=[Tick(product_id="BTC-USD", price="65000.5", time_ms=AT_MS, trade_id=7)],
    )
    snap = snapshot_of(batch)
    assert snap.stream is Stream.TICKER and snap.snapshot_id == f"42@{AT_MS}"
    assert snap.data["batchSequence"] == 42
    assert snap.data["ticks"][0]["productId"] == "BTC-USD" and snap.data["ticks"][0]["price"] == "65000.5"


def test_commands_are_not_relayed() -> None:
    with pytest.raises(UnsupportedEvent):
        to_snapshot(RefreshNews, RefreshNews(command_id=uuid.uuid4(), issued_at=AT).to_dict())
    with pytest.raises(UnsupportedEvent):  # the right topic, the wrong shape
        to_snapshot(TopMoversUpdated, ["not", "a", "datum"])
    with pytest.raises(UnsupportedEvent):
        to_snapshot(TickerBatch, {"ticks": []})


def test_jsonable_takes_exact_and_derived_types_alike() -> None:
    from collections import OrderedDict
    from enum import Enum

    class Colour(Enum):
        RED = "red"

    class Name(str):
        pass

    moment = datetime(2026, 12, 6, 12, 0, 0, 123456, tzinfo=UTC)
    value = {
        "plain_list": [1, 2.5, True, None, "x"],
        "a_tuple": (Colour.RED, moment),
        "ordered_map": OrderedDict([("snake_key", Decimal("1.500"))]),
        "derived_str": Name("n"),
        "an_id": uuid.UUID(int=5),
    }
    assert jsonable(value) == {
        "plainList": [1, 2.5, True, None, "x"],
        "aTuple": ["red", "2026-12-06T12:00:00.123Z"],
        "orderedMap": {"snakeKey": "1.5"},
        "derivedStr": "n",
        "anId": "00000000-0000-0000-0000-000000000005",
    }


def test_camel_cased_names_are_remembered_within_a_bound() -> None:
    # Map keys come from upstreams: the names remembered must not grow with them.
    for n in range(_CAMEL_NAMES + 500):
        jsonable({f"provider_key_{n}": n})
    info = _camel_remembered.cache_info()
    assert info.maxsize == _CAMEL_NAMES
    assert info.currsize <= _CAMEL_NAMES
    _camel_remembered.cache_clear()
    assert jsonable({"long_" * 1000: 1}) == {"long" + "Long" * 999: 1}  # converted, not remembered
    assert _camel_remembered.cache_info().currsize == 0
    assert jsonable({"short_key": 1}) == {"shortKey": 1}
    assert _camel_remembered.cache_info().currsize == 1
