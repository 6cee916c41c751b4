"""On the real stack: a ticker batch its data contract refuses is never streamed; it is dead-lettered.

The ticker is a stream (ADR-007) and bypasses the command loop, so it has its own path to the
contract-violation handling: a batch with a crossed book (bid above ask) is written to the ticker's
dead-letter topic with the rule's name, and the next, valid batch is streamed as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from flux.contracts import TickerBatch
from flux.devstack.stack import RunningStack
from flux.kafka.config import producer_config
from flux.kafka.dead_letter import DeadLetterPublisher
from flux.kafka.producer import AsyncProducer
from flux.kafka.recent_ids import RecentIds
from flux.serde import AsyncSerde
from flux.services.crypto.model import Tick
from flux.services.crypto.service import TICKER_TOPIC, TickerStream
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.publisher import EventPublisher

from .conftest import TopicReader

pytestmark = pytest.mark.integration

RULE = "tickBidNotAboveAsk"


def _tick(product: str, sequence: int, bid: str, ask: str) -> Tick:
    return Tick(
        product_id=product,
        price=Decimal("100"),
        best_bid=Decimal(bid),
        best_ask=Decimal(ask),
        volume_24h=Decimal("10"),
        open_24h=None,
        time=datetime.now(UTC),
        trade_id=sequence,
        sequence=sequence,
    )


async def test_a_refused_ticker_batch_is_dead_lettered_and_the_stream_goes_on(
    stack: RunningStack, serde: AsyncSerde, reader: Callable[..., TopicReader]
) -> None:
    stream_out, parked = reader(TICKER_TOPIC), reader(f"{TICKER_TOPIC}.dlq")
    writer = AsyncSerde.from_settings(stack.settings, write_rules=True)
    producer = AsyncProducer(producer_config(stack.settings, client_id="test-ticker"))
    ctx = ServiceContext(
        service="crypto-service",
        settings=stack.settings,
        serde=writer,
        producer=producer,
        publisher=EventPublisher(producer, writer, "crypto-service"),
        dead_letters=DeadLetterPublisher(producer, service="crypto-service"),
        recent_commands=RecentIds(16, 60.0),
    )
    crossed, fine = asyncio.Event(), asyncio.Event()

    async def ticks() -> AsyncIterator[Tick]:
        yield _tick("CROSS-USD", 1, bid="101", ask="99")  # a crossed book: a feed error
        crossed.set()
        await fine.wait()
        yield _tick("GOOD-USD", 2, bid="99", ask="101")
        await asyncio.Event().wait()

    stream = TickerStream(ctx, ticks, window_s=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(stream.run(stop))
    try:
        await crossed.wait()
        [dead] = await parked.read(lambda rs: len(rs) >= 1)
        fine.set()
        [ok] = await stream_out.read(lambda rs: len(rs) >= 1)
    finally:
        stop.set()
        await running
        await producer.aclose(wait_s=5.0)
        await writer.aclose()
    assert dead.headers["__rule.name"] == RULE.encode()
    assert dead.headers["__rule.mode"] == b"WRITE"
    assert dead.headers["flux.dlq.service"] == b"crypto-service"
    assert dead.headers["flux.dlq.original.topic"] == TICKER_TOPIC.encode()
    refused = await serde.decode(TickerBatch, dead.value)
    assert [t.product_id for t in refused.ticks] == ["CROSS-USD"]
    streamed = await serde.decode(TickerBatch, ok.value)
    assert [t.product_id for t in streamed.ticks] == ["GOOD-USD"]
    assert stream.published == 1
