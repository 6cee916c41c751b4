"""A broker restart under a running weather service: it reconnects by itself and no command is lost.

Uses a private stack (Kafka + registry) so restarting its broker cannot disturb other tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from flux.contracts import WeatherStatus, WeatherUpdated
from flux.devstack.stack import DevStack, RunningStack
from flux.kafka.config import producer_config
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.weather import service as weather_service
from flux.testing.stack import make_ephemeral_stack

from .conftest import TopicReader, fetch_weather, in_process, send_commands, wait_ready

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def private_stack(tmp_path: Path) -> AsyncIterator[tuple[DevStack, RunningStack]]:
    dev = make_ephemeral_stack(tmp_path / "stack", with_valkey=False)
    running = await asyncio.to_thread(dev.up)
    try:
        yield dev, running
    finally:
        await asyncio.to_thread(dev.down)


async def test_service_reconnects_after_a_broker_restart(
    private_stack: tuple[DevStack, RunningStack],
) -> None:
    dev, running = private_stack
    settings = running.settings
    serde = AsyncSerde.from_settings(settings)
    producer = AsyncProducer(producer_config(settings, client_id="test-commands"))
    events = TopicReader(settings, [WeatherUpdated.TOPIC])
    before, during, after = (fetch_weather(city, 50.0, 8.0) for city in ("Before", "During", "After"))
    try:
        async with in_process(weather_service, settings) as service:
            await send_commands(producer, serde, [before])
            await events.read(
                lambda rs: any(r.decoded.correlation_id == before.command_id for r in rs),
                serde=serde,
                contract=WeatherUpdated,
            )
            await asyncio.to_thread(dev.kafka.stop)
            # produced while the broker is away: the client retries until it is back
            pending = asyncio.create_task(send_commands(producer, serde, [during]))
            await asyncio.sleep(3)
            assert not service.task.done(), "the service kept running without its broker"
            await asyncio.to_thread(dev.kafka.start)
            await asyncio.to_thread(dev.kafka.wait_ready)
            await pending
            await send_commands(producer, serde, [after])
            records = await events.read(
                lambda rs: {during.command_id, after.command_id} <= {r.decoded.correlation_id for r in rs},
                serde=serde,
                contract=WeatherUpdated,
                timeout_s=120,
            )
            await wait_ready(service.port, timeout_s=60, task=service.task)
            async with httpx.AsyncClient(timeout=5) as client:
                health = await client.get(f"http://127.0.0.1:{service.port}/health")
        assert health.status_code == 200
        answered = {r.decoded.correlation_id: r.decoded for r in records}
        assert answered[during.command_id].status is WeatherStatus.SUCCESS
        assert answered[after.command_id].status is WeatherStatus.SUCCESS
    finally:
        events.close()
        await producer.aclose()
        await serde.aclose()
