"""Fixtures for the domain services on the real embedded stack: run a service, produce commands, read events.

Every helper talks to the real Kafka broker and the real Flux registry of the session ``stack``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from flux.contracts import FetchTrigger, FetchWeather, Location
from flux.contracts.keys import city_key
from flux.devstack.stack import RunningStack
from flux.kafka.config import consumer_config, producer_config
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.runtime.process import run_service
from flux.settings import Settings

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now() -> datetime:
    return datetime.now(UTC)


def fetch_weather(city: str = "Delhi", lat: float | None = 28.61, lon: float | None = 77.2) -> FetchWeather:
    return FetchWeather(
        command_id=uuid.uuid4(),
        issued_at=now(),
        event=FetchTrigger.LOCATION_UPDATE,
        user_id=uuid.uuid4(),
        data=Location(city=city, lat=lat, lon=lon),
        timestamp=now(),
    )


def refresh(contract: type, limit: int | None = None) -> Any:
    """A refresh command of ``contract`` (RefreshTopCoins, RefreshNews...) with a fresh id."""
    sized = {} if limit is None else {"limit": limit}
    return contract(command_id=uuid.uuid4(), issued_at=now(), requested_by=uuid.uuid4(), **sized)


async def wait_ready(port: int, timeout_s: float = 60.0, task: asyncio.Task[Any] | None = None) -> None:
    """Poll ``/ready`` until it answers 200 (fails early when the service task died)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if task is not None and task.done():
                task.result()
                raise AssertionError("service stopped before it became ready")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"service on port {port} not ready within {timeout_s}s")
            await asyncio.sleep(0.1)


@dataclass
class InProcessService:
    """A domain service running as a task of the test's event loop (``run_service``)."""

    port: int
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def metrics(self) -> str:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text


@contextlib.asynccontextmanager
async def in_process(module: ModuleType, settings: Settings) -> AsyncIterator[InProcessService]:
    """Run ``module``'s service until the block ends; yields once it is ready."""
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_service(module.SERVICE_NAME, module.build, settings, host="127.0.0.1", port=port, stop=stop)
    )
    service = InProcessService(port, stop, task)
    try:
        await wait_ready(port, task=task)
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    decoded: Any = None


@dataclass
class TopicReader:
    """Reads a topic from its end at creation time onwards (own consumer, no group commits)."""

    settings: Settings
    topics: Sequence[str]
    consumer: Consumer = field(init=False)

    def __post_init__(self) -> None:
        self.consumer = Consumer(
            consumer_config(self.settings, group_id=f"test-reader-{uuid.uuid4()}", client_id="test-reader")
        )
        metadata = self.consumer.list_topics(timeout=10)
        start = []
        for topic in self.topics:
            for partition in metadata.topics[topic].partitions:
                _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                start.append(TopicPartition(topic, partition, high))
        self.consumer.assign(start)

    def _poll(self, timeout_s: float) -> list[Message]:
        return [m for m in self.consumer.consume(num_messages=5000, timeout=timeout_s) if not m.error()]

    async def read(
        self,
        until: Callable[[list[Record]], bool],
        *,
        timeout_s: float = 30.0,
        decode: Callable[[Record], Any] | None = None,
        serde: AsyncSerde | None = None,
        contract: type | None = None,
    ) -> list[Record]:
        """Collect records until ``until(records)`` holds; raises with what arrived on timeout."""
        records: list[Record] = []
        deadline = time.monotonic() + timeout_s
        while not until(records):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out on {list(self.topics)} with {len(records)} records")
            for msg in await asyncio.to_thread(self._poll, 0.2):
                record = Record(
                    topic=msg.topic() or "",
                    partition=msg.partition() or 0,
                    offset=msg.offset() or 0,
                    key=msg.key(),
                    value=msg.value() or b"",
                    headers={k: v or b"" for k, v in (msg.headers() or [])},
                )
                if serde is not None and contract is not None:
                    record.decoded = await serde.decode(contract, record.value)
                records.append(record)
        return records

    def close(self) -> None:
        self.consumer.close()


@pytest.fixture
def reader(stack: RunningStack) -> Iterator[Callable[..., TopicReader]]:
    opened: list[TopicReader] = []

    def open_reader(*topics: str) -> TopicReader:
        r = TopicReader(stack.settings, topics)
        opened.append(r)
        return r

    yield open_reader
    for r in opened:
        r.close()


@pytest.fixture
async def serde(stack: RunningStack) -> AsyncIterator[AsyncSerde]:
    s = AsyncSerde.from_settings(stack.settings)
    yield s
    await s.aclose()


@pytest.fixture
async def producer(stack: RunningStack) -> AsyncIterator[AsyncProducer]:
    p = AsyncProducer(producer_config(stack.settings, client_id="test-commands"))
    yield p
    await p.aclose()


async def send_commands(
    producer: AsyncProducer,
    serde: AsyncSerde,
    commands: Sequence[Any],
    key: Callable[[Any], str] | None = None,
) -> None:
    """Encode ``commands`` with the registry serde and produce them, awaiting every acknowledgement."""
    futures = []
    for command in commands:
        value = await serde.encode(command)
        k = key(command) if key else _default_key(command)
        futures.append(producer.produce(command.TOPIC, value=value, key=k.encode()))
    await asyncio.gather(*futures)


def _default_key(command: Any) -> str:
    if isinstance(command, FetchWeather):
        return city_key(command.data.city)
    return "global"


def service_subprocess(
    name: str, settings: Settings, port: int, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``python -m flux service <name> --port P`` pointed at the test stack, its logs appended to ``log``."""
    env = {
        **os.environ,
        "FLUX_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "FLUX_REGISTRY_URL": settings.registry_url,
        "FLUX_LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "flux", "service", name, "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
