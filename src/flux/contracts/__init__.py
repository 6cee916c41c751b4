"""Flux's typed contracts: one generated class per topic, looked up by topic.

The classes live in :mod:`flux.contracts.generated` (``make codegen``; never edit them). Avro
contracts are frozen, slotted, keyword-only dataclasses that know their ``TOPIC``, ``SUBJECT``,
``SCHEMA_VERSION``, ``SCHEMA_TEXT`` and ``PARSED_SCHEMA``; the ticker stream is a Protobuf message.

Example:
    >>> from flux.contracts import WeatherUpdated, contract_for
    >>> contract_for(WeatherUpdated.TOPIC) is WeatherUpdated
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from flux.contracts.generated import TOPIC_OF_MODULE
from flux.contracts.generated.fetch_weather import FetchTrigger, FetchWeather, Location
from flux.contracts.generated.news_updated import Article, NewsUpdated
from flux.contracts.generated.refresh_news import RefreshNews
from flux.contracts.generated.refresh_top_coins import RefreshTopCoins
from flux.contracts.generated.refresh_top_movers import RefreshTopMovers
from flux.contracts.generated.refresh_top_performers import RefreshTopPerformers
from flux.contracts.generated.ticker_batch_pb2 import Tick, TickerBatch
from flux.contracts.generated.top_coins_updated import Coin, TopCoinsUpdated
from flux.contracts.generated.top_movers_updated import CoinMove, TopMoversUpdated
from flux.contracts.generated.top_performers_updated import StockPerformance, TopPerformersUpdated
from flux.contracts.generated.weather_updated import (
    WeatherError,
    WeatherObservation,
    WeatherStatus,
    WeatherUpdated,
)
from flux.contracts.types import AvroContract

__all__ = [
    "AVRO_CONTRACTS",
    "PROTOBUF_CONTRACTS",
    "Article",
    "AvroContract",
    "Coin",
    "CoinMove",
    "FetchTrigger",
    "FetchWeather",
    "Location",
    "NewsUpdated",
    "RefreshNews",
    "RefreshTopCoins",
    "RefreshTopMovers",
    "RefreshTopPerformers",
    "StockPerformance",
    "Tick",
    "TickerBatch",
    "TopCoinsUpdated",
    "TopMoversUpdated",
    "TopPerformersUpdated",
    "WeatherError",
    "WeatherObservation",
    "WeatherStatus",
    "WeatherUpdated",
    "contract_for",
]

_AVRO: Final[tuple[type[AvroContract], ...]] = (
    FetchWeather,
    RefreshTopMovers,
    RefreshTopCoins,
    RefreshNews,
    RefreshTopPerformers,
    WeatherUpdated,
    TopMoversUpdated,
    TopCoinsUpdated,
    NewsUpdated,
    TopPerformersUpdated,
)

AVRO_CONTRACTS: Final[Mapping[str, type[AvroContract]]] = MappingProxyType({c.TOPIC: c for c in _AVRO})
"""Topic → generated Avro class."""

PROTOBUF_CONTRACTS: Final[Mapping[str, type[TickerBatch]]] = MappingProxyType(
    {TOPIC_OF_MODULE["ticker_batch"]: TickerBatch}
)
"""Topic → Protobuf message class."""


def contract_for(topic: str) -> type[AvroContract] | type[TickerBatch]:
    """Return the class whose instances are the values of ``topic``.

    Raises:
        KeyError: when the topic carries no schema (internal or dead-letter topics).
    """
    if topic in AVRO_CONTRACTS:
        return AVRO_CONTRACTS[topic]
    if topic in PROTOBUF_CONTRACTS:
        return PROTOBUF_CONTRACTS[topic]
    raise KeyError(f"topic {topic!r} has no generated contract")
