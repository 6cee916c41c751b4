"""Live mode against the fake upstream servers: error status on upstream failure, coalescing, ticker reconnect."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from flux.contracts import TickerBatch, WeatherStatus, WeatherUpdated
from flux.devstack.stack import RunningStack
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.crypto import service as crypto_service
from flux.services.weather import service as weather_service
from flux.settings import ProviderMode
from flux.upstreams import FakeUpstreams
from flux.upstreams.fault_control import FaultMode, FaultTarget

from .conftest import TopicReader, fetch_weather, in_process, send_commands

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeUpstreams]:
    """Fake upstreams on loopback; the live adapters of services started in the test point at them."""
    async with FakeUpstreams(seed=11, tick_rate_hz=1000, heartbeat_interval_s=0.2) as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("FLUX_UPSTREAM_TIMEOUT_S", "1.0")
        monkeypatch.setenv("FLUX_UPSTREAM_MAX_ATTEMPTS", "1")
        yield server


@pytest.mark.parametrize(
    ("fault", "options", "code", "retryable"),
    [
        (FaultMode.SERVER_ERROR, {"status": 503}, "provider_server_error", True),
        (FaultMode.SLOW, {"delay_s": 3.0}, "provider_timeout", True),
        (FaultMode.MALFORMED, {}, "provider_bad_payload", False),
        (FaultMode.TRUNCATED, {}, "provider_truncated", True),
        (FaultMode.RATE_LIMITED, {"retry_after_s": 1}, "provider_rate_limited", True),
    ],
    ids=lambda v: v.value if isinstance(v, FaultMode) else None,
)
async def test_upstream_failure_publishes_error_status_then_recovers(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    fake: FakeUpstreams,
    fault: FaultMode,
    options: dict[str, float],
    code: str,
    retryable: bool,
) -> None:
    settings = stack.settings.model_copy(update={"provider": ProviderMode.LIVE})
    events = reader(WeatherUpdated.TOPIC)
    city = f"Faultville {fault.value}"
    failing, later = fetch_weather(city, 48.85, 2.35), fetch_weather(city, 48.85, 2.35)
    async with in_process(weather_service, settings):
        fake.faults.inject(fault, target=FaultTarget.WEATHER, **options)  # type: ignore[arg-type]
        await send_commands(producer, serde, [failing])
        [error] = await events.read(lambda rs: len(rs) >= 1, serde=serde, contract=WeatherUpdated)
        fake.faults.clear()
        await send_commands(producer, serde, [later])
        [ok] = await events.read(lambda rs: len(rs) >= 1, serde=serde, contract=WeatherUpdated)
    assert error.decoded.correlation_id == failing.command_id
    assert error.decoded.status is WeatherStatus.ERROR
    assert error.decoded.data is None
    assert error.decoded.error.code == code
    assert error.decoded.error.retryable is retryable
    assert error.key == city.casefold().encode()
    # the failure was not cached: the next command reached the upstream and succeeded
    assert ok.decoded.correlation_id == later.command_id
    assert ok.decoded.status is WeatherStatus.SUCCESS
    assert ok.decoded.data.city == city


async def test_open_breaker_still_answers_with_an_error_event(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    fake: FakeUpstreams,
) -> None:
    settings = stack.settings.model_copy(update={"provider": ProviderMode.LIVE})
    events = reader(WeatherUpdated.TOPIC)
    commands = [fetch_weather(f"Outage {i}", 10.0 + i, 20.0) for i in range(8)]
    async with in_process(weather_service, settings):
        fake.faults.inject(FaultMode.SERVER_ERROR, target=FaultTarget.WEATHER)
        hits_before = fake.world.hits["weather"]
        for command in commands:  # one at a time, so the breaker sees them in order
            await send_commands(producer, serde, [command])
            await events.read(
                lambda rs, c=command: any(r.decoded.correlation_id == c.command_id for r in rs),
                serde=serde,
                contract=WeatherUpdated,
            )
        hits = fake.world.hits["weather"] - hits_before
    assert hits < len(commands), "the breaker opened and spared the upstream"


async def test_thousand_fetches_for_one_city_cost_one_upstream_request(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    fake: FakeUpstreams,
) -> None:
    settings = stack.settings.model_copy(update={"provider": ProviderMode.LIVE})
    events = reader(WeatherUpdated.TOPIC)
    commands = [fetch_weather("Coalesce City", -33.87, 151.21) for _ in range(1000)]
    hits_before = fake.world.hits["weather"]
    await send_commands(producer, serde, commands)  # queued before the service starts: read in full batches
    wanted = {c.command_id for c in commands}
    async with in_process(weather_service, settings) as service:
        records = await events.read(
            lambda rs: wanted <= {r.decoded.correlation_id for r in rs},
            serde=serde,
            contract=WeatherUpdated,
            timeout_s=60,
        )
        metrics = await service.metrics()
    mine = [r for r in records if r.decoded.correlation_id in wanted]
    assert len(mine) == 1000
    assert {r.decoded.status for r in mine} == {WeatherStatus.SUCCESS}
    assert len({r.decoded.snapshot_hash for r in mine}) == 1
    assert len({r.decoded.event_id for r in mine}) == 1000
    assert fake.world.hits["weather"] - hits_before == 1
    assert "flux_service_upstream_latency_seconds_count" in metrics


async def test_ticker_end_to_end_with_the_fake_coinbase_feed_and_a_dropped_socket(
    stack: RunningStack, serde: AsyncSerde, reader: Callable[..., TopicReader], fake: FakeUpstreams
) -> None:
    settings = stack.settings.model_copy(update={"provider": ProviderMode.LIVE})
    batches = reader(crypto_service.TICKER_TOPIC)

    def products(records: list) -> set[str]:  # type: ignore[type-arg]
        return {t.product_id for r in records for t in r.decoded.ticks}

    async with in_process(crypto_service, settings):
        before = await batches.read(
            lambda rs: len(products(rs)) == len(crypto_service.DEFAULT_PRODUCTS),
            serde=serde,
            contract=TickerBatch,
        )
        subscriptions = fake.world.hits["coinbase"]
        fake.faults.inject(FaultMode.DROP_WS, target=FaultTarget.COINBASE, count=1)
        dropped_at_ms = int(time.time() * 1000)
        assert fake.feed.drops >= 1
        after = await batches.read(
            lambda rs: len([r for r in rs if r.decoded.produced_at_ms > dropped_at_ms + 100]) >= 5,
            serde=serde,
            contract=TickerBatch,
            timeout_s=30,
        )
        await asyncio.sleep(0)
    assert fake.world.hits["coinbase"] > subscriptions, "the stream reconnected"
    assert products(before) == set(crypto_service.DEFAULT_PRODUCTS)
    sequences = [r.decoded.batch_sequence for r in before + after]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    resumed = [r for r in after if r.decoded.produced_at_ms > dropped_at_ms + 100]
    assert len(products(resumed)) > 1
    # within a batch, ticks are the newest per product
    for record in before + after:
        ids = [t.product_id for t in record.decoded.ticks]
        assert len(ids) == len(set(ids))
