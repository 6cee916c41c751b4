"""Poison records in every command topic land in the catalogue's DLQ with flux.dlq.* headers; the service moves on."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from types import ModuleType

import pytest

from flux.catalogue import load_catalogue
from flux.contracts import (
    FetchWeather,
    NewsUpdated,
    RefreshNews,
    RefreshTopCoins,
    RefreshTopMovers,
    RefreshTopPerformers,
    TopCoinsUpdated,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherUpdated,
)
from flux.devstack.stack import RunningStack
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.crypto import service as crypto_service
from flux.services.news import service as news_service
from flux.services.stock import service as stock_service
from flux.services.weather import service as weather_service

from .conftest import TopicReader, fetch_weather, in_process, refresh

pytestmark = pytest.mark.integration

UNKNOWN_SCHEMA_ID = 987_654


def good_command(contract: type) -> object:
    return fetch_weather("Lisbon", 38.72, -9.14) if contract is FetchWeather else refresh(contract)


async def poison_records(serde: AsyncSerde, contract: type) -> dict[str, bytes]:
    """Four kinds of undecodable record for ``contract``'s topic."""
    valid = await serde.encode(good_command(contract))
    other = RefreshNews if contract is not RefreshNews else RefreshTopCoins
    return {
        "bad-magic": b"\x07" + valid[1:],
        "unknown-schema-id": b"\x00" + struct.pack(">I", UNKNOWN_SCHEMA_ID) + valid[5:],
        "truncated": valid[: len(valid) // 2],
        "truncated-header": valid[:3],
        "wrong-schema": await serde.encode(refresh(other)),
    }


@pytest.mark.parametrize(
    ("module", "command", "event"),
    [
        (weather_service, FetchWeather, WeatherUpdated),
        (crypto_service, RefreshTopCoins, TopCoinsUpdated),
        (crypto_service, RefreshTopMovers, TopMoversUpdated),
        (news_service, RefreshNews, NewsUpdated),
        (stock_service, RefreshTopPerformers, TopPerformersUpdated),
    ],
    ids=["weather", "top-coins", "top-movers", "news", "stocks"],
)
async def test_poison_goes_to_the_dlq_and_the_next_command_is_handled(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    module: ModuleType,
    command: type,
    event: type,
) -> None:
    topic: str = command.TOPIC  # type: ignore[attr-defined]
    dlq_topic = load_catalogue().dead_letter_for(topic)
    dlq = reader(dlq_topic)
    events = reader(event.TOPIC)  # type: ignore[attr-defined]
    poison = await poison_records(serde, command)
    if command is FetchWeather:  # decodes fine, but the content is invalid: rejected by the handler
        poison["rejected"] = await serde.encode(fetch_weather("Nowhere", 123.0, 10.0))
    key = (
        f"dlq-test-{uuid.uuid4()}".encode()
    )  # one key: poison and the good command share a partition, in order
    good = good_command(command)
    async with in_process(module, stack.settings):
        sent = {}
        for kind, value in poison.items():
            sent[kind] = await producer.send(
                topic, value=value, key=key, headers=[("x-trace", kind.encode())]
            )
        await producer.send(topic, value=await serde.encode(good), key=key)
        dead = await dlq.read(lambda rs: len([r for r in rs if r.key == key]) >= len(poison))
        answered = await events.read(
            lambda rs: any(r.decoded.correlation_id == good.command_id for r in rs),  # type: ignore[attr-defined]
            serde=serde,
            contract=event,
        )
    assert any(r.decoded.correlation_id == good.command_id for r in answered)  # type: ignore[attr-defined]
    dead_by_kind = {r.headers["x-trace"].decode(): r for r in dead if r.key == key}
    assert set(dead_by_kind) == set(poison)
    for kind, record in dead_by_kind.items():
        original = sent[kind]
        assert record.value == poison[kind], kind
        assert record.headers["flux.dlq.original.topic"] == topic.encode()
        assert record.headers["flux.dlq.original.partition"] == str(original.partition()).encode()
        assert record.headers["flux.dlq.original.offset"] == str(original.offset()).encode()
        assert record.headers["flux.dlq.original.timestamp"] == str(original.timestamp()[1]).encode()
        assert record.headers["flux.dlq.service"] == module.SERVICE_NAME.encode()
        assert record.headers["flux.dlq.error.class"], kind
        assert record.headers["flux.dlq.error.message"], kind
    classes = {k: r.headers["flux.dlq.error.class"].decode() for k, r in dead_by_kind.items()}
    expected = {
        "bad-magic": "BadMagicByte",
        "unknown-schema-id": "UnknownSchemaId",
        "truncated-header": "TruncatedRecord",
        "wrong-schema": "SchemaMismatch",
    }
    if command is FetchWeather:
        expected["rejected"] = "CommandRejected"
    # a body cut mid-field reads as a short record or as bytes that do not fit the schema
    assert classes.pop("truncated") in {"TruncatedRecord", "SchemaMismatch"}
    assert classes == expected
    # no poison record produced an event
    assert len([r for r in answered if r.decoded.correlation_id is not None]) == 1  # type: ignore[attr-defined]
