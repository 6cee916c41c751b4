"""Each domain service on the real stack: a serde-encoded command in, the typed event out; schedules; ticker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from flux.contracts import (
    FetchWeather,
    NewsUpdated,
    RefreshNews,
    RefreshTopCoins,
    RefreshTopMovers,
    RefreshTopPerformers,
    TickerBatch,
    TopCoinsUpdated,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherStatus,
    WeatherUpdated,
)
from flux.contracts.keys import GLOBAL_KEY
from flux.contracts.snapshot_sizes import MOVERS_SIZE, NEWS_SIZE, STOCKS_SIZE, TOP_COINS_SIZE
from flux.devstack.stack import RunningStack
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.crypto import service as crypto_service
from flux.services.news import service as news_service
from flux.services.runtime.envelope import event_id_for
from flux.services.stock import service as stock_service
from flux.services.weather import service as weather_service

from .conftest import Record, TopicReader, fetch_weather, in_process, refresh, send_commands

pytestmark = pytest.mark.integration

REQUESTED = 3  # the refresh commands' limit, smaller than every schedule's size


def has_correlation(*ids: object) -> Callable[[list[Record]], bool]:
    wanted = set(ids)
    return lambda records: wanted <= {r.decoded.correlation_id for r in records}


def by_correlation(records: list[Record], command_id: object) -> Record:
    [record] = [r for r in records if r.decoded.correlation_id == command_id]
    return record


async def test_weather_fetch_becomes_weather_updated(
    stack: RunningStack, serde: AsyncSerde, producer: AsyncProducer, reader: Callable[..., TopicReader]
) -> None:
    events = reader(WeatherUpdated.TOPIC)
    delhi = fetch_weather("New Delhi", 28.61, 77.2)
    oslo = fetch_weather("Oslo", 59.91, 10.75)
    no_coordinates = fetch_weather("Atlantis", None, None)
    async with in_process(weather_service, stack.settings) as service:
        await send_commands(producer, serde, [delhi, oslo, no_coordinates])
        records = await events.read(
            has_correlation(delhi.command_id, oslo.command_id, no_coordinates.command_id),
            serde=serde,
            contract=WeatherUpdated,
        )
        metrics = await service.metrics()
    got = by_correlation(records, delhi.command_id)
    event = got.decoded
    assert got.key == b"new delhi"
    assert event.city_key == "new delhi"
    assert event.status is WeatherStatus.SUCCESS
    assert event.event_id == event_id_for(delhi.command_id, WeatherUpdated.TOPIC)
    assert event.source == weather_service.SERVICE_NAME
    assert event.data.city == "New Delhi"
    assert (event.data.lat, event.data.lon) == (28.61, 77.2)
    assert -60 < event.data.temperature_c < 60
    assert 0 <= event.data.humidity_pct <= 100
    assert len(event.snapshot_hash) == 64
    assert by_correlation(records, oslo.command_id).key == b"oslo"
    failed = by_correlation(records, no_coordinates.command_id).decoded
    assert failed.status is WeatherStatus.ERROR
    assert failed.error.code == "coordinates_required"
    assert (
        'flux_service_events_published_total{service="weather-service",topic="weather.service.event.updated"}'
        in metrics
    )


@pytest.mark.parametrize(
    ("module", "command", "event", "size", "check"),
    [
        (
            crypto_service,
            RefreshTopCoins,
            TopCoinsUpdated,
            TOP_COINS_SIZE,
            lambda e, n: (
                len(e.coins) == n
                and [c.rank for c in e.coins] == list(range(1, n + 1))
                and all(c.price > 0 for c in e.coins)
            ),
        ),
        (
            crypto_service,
            RefreshTopMovers,
            TopMoversUpdated,
            MOVERS_SIZE,
            lambda e, n: (
                0 < len(e.gainers) <= n
                and 0 < len(e.losers) <= n
                and min(g.change_pct_24h for g in e.gainers) >= max(lo.change_pct_24h for lo in e.losers)
            ),
        ),
        (
            news_service,
            RefreshNews,
            NewsUpdated,
            NEWS_SIZE,
            lambda e, n: (
                0 < len(e.articles) <= n
                and len({a.id for a in e.articles}) == len(e.articles)
                and [a.published_at for a in e.articles]
                == sorted((a.published_at for a in e.articles), reverse=True)
            ),
        ),
        (
            stock_service,
            RefreshTopPerformers,
            TopPerformersUpdated,
            STOCKS_SIZE,
            lambda e, n: (
                0 < len(e.performers) <= n
                and [p.change_pct for p in e.performers]
                == sorted((p.change_pct for p in e.performers), reverse=True)
            ),
        ),
    ],
    ids=["top-coins", "top-movers", "news", "stocks"],
)
async def test_refresh_command_and_schedule_publish_the_snapshot(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    module: object,
    command: type,
    event: type,
    size: int,
    check: Callable[[object, int], bool],
) -> None:
    events = reader(event.TOPIC)  # type: ignore[attr-defined]
    cmd = refresh(command, limit=REQUESTED)
    async with in_process(module, stack.settings):  # type: ignore[arg-type]
        # the schedule publishes once at start, without any command
        scheduled = await events.read(
            lambda rs: any(r.decoded.correlation_id is None for r in rs), serde=serde, contract=event
        )
        await send_commands(producer, serde, [cmd])
        records = scheduled + await events.read(has_correlation(cmd.command_id), serde=serde, contract=event)
    first = next(r for r in scheduled if r.decoded.correlation_id is None)
    answer = by_correlation(records, cmd.command_id)
    for record, entries in ((first, size), (answer, REQUESTED)):  # the schedule's size, the command's
        assert record.key == GLOBAL_KEY.encode()
        assert record.decoded.source == module.SERVICE_NAME  # type: ignore[attr-defined]
        assert check(record.decoded, entries), record.decoded
    assert answer.decoded.event_id == event_id_for(cmd.command_id, event.TOPIC)  # type: ignore[attr-defined]
    assert first.decoded.event_id.version == 4


async def test_crypto_ticker_batches_flow_without_commands(
    stack: RunningStack, serde: AsyncSerde, reader: Callable[..., TopicReader]
) -> None:
    batches = reader(crypto_service.TICKER_TOPIC)
    async with in_process(crypto_service, stack.settings):
        records = await batches.read(
            lambda rs: len({t.product_id for r in rs for t in r.decoded.ticks}) >= 8 and len(rs) >= 10,
            serde=serde,
            contract=TickerBatch,
            timeout_s=60,
        )
    sequences = [r.decoded.batch_sequence for r in records]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    for record in records:
        batch = record.decoded
        assert record.key == str(batch.batch_sequence).encode()
        assert batch.source == crypto_service.SERVICE_NAME
        products = [t.product_id for t in batch.ticks]
        assert len(products) == len(set(products)), "one tick per product per batch"
        assert all(float(t.price) > 0 and t.time_ms > 0 for t in batch.ticks)
    assert {r.partition for r in records} == {0, 1, 2}


async def test_a_command_repeated_in_one_burst_is_answered_once(
    stack: RunningStack, serde: AsyncSerde, producer: AsyncProducer, reader: Callable[..., TopicReader]
) -> None:
    events = reader(WeatherUpdated.TOPIC)
    repeated = fetch_weather("Echo Town", 12.0, 34.0)
    marker = fetch_weather("Echo Town", 12.0, 34.0)
    # queued before the service starts, so the copies land in one batch (or in pipelined batches)
    await send_commands(producer, serde, [repeated, repeated, repeated, marker])
    skipped_before = REGISTRY.get_sample_value(
        "flux_service_commands_duplicate_total",
        {"service": weather_service.SERVICE_NAME, "topic": FetchWeather.TOPIC},
    )
    async with in_process(weather_service, stack.settings):
        records = await events.read(has_correlation(marker.command_id), serde=serde, contract=WeatherUpdated)
    skipped = REGISTRY.get_sample_value(
        "flux_service_commands_duplicate_total",
        {"service": weather_service.SERVICE_NAME, "topic": FetchWeather.TOPIC},
    )
    assert len([r for r in records if r.decoded.correlation_id == repeated.command_id]) == 1
    assert (skipped or 0) - (skipped_before or 0) == 2
