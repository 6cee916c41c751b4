"""Fixtures for the BFF on the real embedded stack: registered schemas, a running BFF, a real event producer."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from confluent_kafka.schema_registry import SchemaRegistryClient

from flux.bff.app import BffApp
from flux.bff.config import BffSettings
from flux.catalogue import TopicKind, load_catalogue
from flux.contracts import (
    Article,
    Coin,
    NewsUpdated,
    Tick,
    TickerBatch,
    TopCoinsUpdated,
    WeatherObservation,
    WeatherStatus,
    WeatherUpdated,
)
from flux.devstack.stack import RunningStack
from flux.kafka.config import producer_config
from flux.kafka.producer import AsyncProducer
from flux.schema_tools.registration import register_history
from flux.schema_tools.subjects import load_subjects
from flux.serde import AsyncSerde

pytestmark = pytest.mark.integration


REPO = Path(__file__).resolve().parents[3]


@contextlib.asynccontextmanager
async def domain_service(name: str, stack: RunningStack, log_dir: Path) -> AsyncIterator[int]:
    """Run ``flux service <name>`` (simulated provider) against the stack; yields its probe port once ready."""
    port = free_port()
    env = {
        **os.environ,
        "FLUX_KAFKA_BOOTSTRAP": stack.settings.kafka_bootstrap,
        "FLUX_REGISTRY_URL": stack.settings.registry_url,
        "FLUX_VALKEY_URL": stack.settings.valkey_url,
        "FLUX_PROVIDER": "simulated",
        "FLUX_LOG_FORMAT": "json",
    }
    log = log_dir / f"{name}-service.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "flux", "service", name, "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        async with aiohttp.ClientSession() as http:
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                assert process.poll() is None, f"{name} service exited: {log.read_text()[-2000:]}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/ready") as response:
                        if response.status == 200:
                            break
                assert asyncio.get_running_loop().time() < deadline, f"{name} service not ready"
                await asyncio.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def registered_schemas(stack: RunningStack) -> None:
    client = SchemaRegistryClient(stack.settings.registry_client_config())
    rows = register_history(client, load_subjects())
    failed = [r for r in rows if not r.ok]
    assert not failed, failed


@dataclass
class RunningBff:
    app: BffApp
    url: str
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_bff(stack: RunningStack, **overrides: Any) -> RunningBff:
    """A real BFF (Kafka, registry, Valkey) on a free port, returned once ``/ready``."""
    app = BffApp(stack.settings, BffSettings(instance_id=f"test-{uuid.uuid4().hex[:8]}", **overrides))
    runner = web.AppRunner(app.web)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with asyncio.timeout(30):
        while not all(app.readiness().values()):
            await asyncio.sleep(0.05)
    return RunningBff(app, f"http://127.0.0.1:{port}", runner)


@pytest.fixture(scope="module")
async def bff(stack: RunningStack, registered_schemas: None) -> AsyncIterator[RunningBff]:
    running = await start_bff(stack)
    yield running
    await running.stop()


class EventProducer:
    """Produces real events (registry serde, Confluent wire format) into the stack's Kafka."""

    def __init__(self, stack: RunningStack) -> None:
        self.serde = AsyncSerde.from_settings(stack.settings)
        self.sender = AsyncProducer(producer_config(stack.settings, client_id="test-event-producer"))
        self.ticker_topic = next(
            t.name for t in load_catalogue().consumed_by("bff") if t.kind is TopicKind.STREAM
        )

    async def send(self, event: Any, key: str = "global") -> None:
        topic = self.ticker_topic if isinstance(event, TickerBatch) else event.TOPIC
        await self.sender.send(topic, value=await self.serde.encode(event), key=key.encode())

    async def send_raw(self, topic: str, value: bytes, key: str = "global") -> None:
        await self.sender.send(topic, value=value, key=key.encode())

    async def close(self) -> None:
        await self.sender.aclose(wait_s=5.0)
        await self.serde.aclose()


@pytest.fixture(scope="module")
async def producer(stack: RunningStack, registered_schemas: None) -> AsyncIterator[EventProducer]:
    events = EventProducer(stack)
    yield events
    await events.close()


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def weather_event(city_key: str, temperature: float, produced_at: datetime | None = None) -> WeatherUpdated:
    at = produced_at or datetime.now(UTC)
    return WeatherUpdated(
        event_id=uuid.uuid4(),
        produced_at=at,
        source="test",
        snapshot_hash=_hash(city_key, temperature),
        city_key=city_key,
        status=WeatherStatus.SUCCESS,
        data=WeatherObservation(
            city=city_key.title(),
            lat=1.0,
            lon=2.0,
            temperature_c=temperature,
            humidity_pct=50,
            wind_speed_mps=3.5,
            condition="Clear",
            observed_at=at,
        ),
    )


def news_event(title: str, produced_at: datetime | None = None) -> NewsUpdated:
    at = produced_at or datetime.now(UTC)
    return NewsUpdated(
        event_id=uuid.uuid4(),
        produced_at=at,
        source="test",
        snapshot_hash=_hash("news", title),
        articles=[
            Article(id=title, title=title, url="https://example.org/" + title, source="Test", published_at=at)
        ],
    )


def coins_event(price: str) -> TopCoinsUpdated:
    return TopCoinsUpdated(
        event_id=uuid.uuid4(),
        produced_at=datetime.now(UTC),
        source="test",
        snapshot_hash=_hash("coins", price),
        coins=[
            Coin(
                rank=1,
                symbol="BTC",
                name="Bitcoin",
                price=Decimal(price),
                market_cap=Decimal("1000000"),
                volume_24h=Decimal("10"),
                change_pct_24h=1.5,
            )
        ],
    )


def ticker_batch(sequence: int, price: str) -> TickerBatch:
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    return TickerBatch(
        batch_sequence=sequence,
        produced_at_ms=now_ms,
        source="test",
        ticks=[Tick(product_id="BTC-USD", price=price, time_ms=now_ms, trade_id=sequence)],
    )


@dataclass
class Recorder:
    """A Socket.IO client recording every server event in arrival order."""

    client: socketio.AsyncClient
    received: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.received if name == event]

    async def wait_for_title(self, title: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for a ``news`` update whose first article has ``title``."""
        async with asyncio.timeout(timeout):
            while True:
                for update in self.of("news"):
                    if update["data"]["articles"][0]["title"] == title:
                        return dict(update)
                await asyncio.sleep(0.01)

    async def wait_for(self, event: str, count: int = 1, timeout: float = 10.0) -> list[Any]:
        async with asyncio.timeout(timeout):
            while len(self.of(event)) < count:
                await asyncio.sleep(0.01)
        return self.of(event)


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Awaitable[Recorder]]]:
    clients: list[socketio.AsyncClient] = []

    async def make(bff: RunningBff, auth: Any = None) -> Recorder:
        client = socketio.AsyncClient(reconnection=False)
        recorder = Recorder(client)

        @client.on("*")
        async def any_event(event: str, data: Any) -> None:
            recorder.received.append((event, data))

        await client.connect(bff.url, transports=["websocket"], auth=auth, wait_timeout=5)
        clients.append(client)
        return recorder

    yield make
    for client in clients:
        if client.connected:
            await client.disconnect()
