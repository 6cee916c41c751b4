"""TickerStream with fake serde/producer: batching into records, restart after a failed stream, prompt stop."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from flux.contracts import TickerBatch
from flux.resilience import UpstreamConnectionError
from flux.services.crypto import service as crypto_service
from flux.services.crypto.model import Tick
from flux.services.crypto.service import TICKER_TOPIC, TickerStream
from flux.services.runtime.context import ServiceContext


def tick(product: str, sequence: int) -> Tick:
    return Tick(
        product_id=product,
        price=Decimal(100 + sequence),
        best_bid=Decimal(99),
        best_ask=Decimal(101),
        volume_24h=Decimal(1),
        open_24h=None,
        time=datetime(2026, 11, 22, tzinfo=UTC),
        trade_id=sequence,
        sequence=sequence,
    )


class FakeSerde:
    async def encode(self, obj: object) -> bytes:
        assert isinstance(obj, TickerBatch)
        return obj.SerializeToString()


class FakeProducer:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []

    def produce(self, topic: str, *, value: bytes, key: bytes) -> "asyncio.Future[Any]":
        self.records.append((topic, value, key))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def batches(self) -> list[TickerBatch]:
        out = []
        for _, value, _ in self.records:
            batch = TickerBatch()
            batch.ParseFromString(value)
            out.append(batch)
        return out


def fake_ctx(producer: FakeProducer) -> ServiceContext:
    return cast("ServiceContext", type("Ctx", (), {"serde": FakeSerde(), "producer": producer})())


async def test_failed_stream_is_reopened_and_ticks_keep_flowing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto_service, "RESTART_DELAY_S", 0.01)
    producer = FakeProducer()
    opened = 0
    stop = asyncio.Event()

    async def ticks() -> AsyncIterator[Tick]:
        nonlocal opened
        opened += 1
        round_ = opened
        for n in range(3):
            yield tick(f"P{round_}{n}-USD", round_ * 10 + n)
        if round_ == 1:
            raise UpstreamConnectionError("coinbase", "connection lost")
        await asyncio.sleep(0.3)
        stop.set()

    stream = TickerStream(fake_ctx(producer), ticks, window_s=0.05, max_products=500)
    await asyncio.wait_for(stream.run(stop), timeout=5)
    assert opened == 2
    products = {t.product_id for b in producer.batches() for t in b.ticks}
    assert products == {"P10-USD", "P11-USD", "P12-USD", "P20-USD", "P21-USD", "P22-USD"}
    sequences = [b.batch_sequence for b in producer.batches()]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert all(topic == TICKER_TOPIC for topic, _, _ in producer.records)
    assert [key for _, _, key in producer.records] == [str(s).encode() for s in sequences]
    assert stream.published == len(producer.records)


async def test_full_batches_flush_without_waiting_for_the_window() -> None:
    producer = FakeProducer()
    stop = asyncio.Event()

    async def ticks() -> AsyncIterator[Tick]:
        for n in range(1000):
            yield tick(f"P{n % 100}-USD", n)
        stop.set()

    stream = TickerStream(fake_ctx(producer), ticks, window_s=60, max_products=100)
    await asyncio.wait_for(stream.run(stop), timeout=5)
    batches = producer.batches()
    assert [len(b.ticks) for b in batches] == [100] * 10
    assert [b.batch_sequence for b in batches] == list(range(1, 11))


async def test_stop_is_prompt_while_the_feed_is_silent() -> None:
    producer = FakeProducer()
    stop = asyncio.Event()

    async def ticks() -> AsyncIterator[Tick]:
        yield tick("BTC-USD", 1)
        await asyncio.sleep(3600)
        yield tick("BTC-USD", 2)

    stream = TickerStream(fake_ctx(producer), ticks, window_s=10)
    runner = asyncio.create_task(stream.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(runner, timeout=2)
    # the pending batch is flushed on the way out
    assert [len(b.ticks) for b in producer.batches()] == [1]
