"""EventPublisher runs ``on_acked`` only for events the broker acknowledged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flux.contracts import NewsUpdated
from flux.services.runtime.publisher import EventPublisher, Outgoing


class FakeSerde:
    def encode_now(self, obj: object) -> bytes | None:
        return None  # the codec is not loaded yet: the publisher awaits encode

    async def encode(self, obj: object) -> bytes:
        return b"encoded"


class FakeProducer:
    """Hands out one future per record of a batch; the test settles them like broker acknowledgements."""

    def __init__(self) -> None:
        self.futures: list[asyncio.Future[Any]] = []

    def produce_all(self, records: list[tuple[str, bytes, bytes]]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        batch = [loop.create_future() for _ in records]
        self.futures.extend(batch)
        return asyncio.ensure_future(asyncio.gather(*batch))


def _outgoing(acked: list[str], name: str) -> Outgoing:
    event = NewsUpdated.__new__(NewsUpdated)  # only its class (the topic) matters here
    return Outgoing(event, "global", on_acked=lambda: acked.append(name))


async def test_on_acked_runs_after_every_acknowledgement_and_not_before() -> None:
    producer, acked = FakeProducer(), []
    publisher = EventPublisher(producer, FakeSerde(), "news-service")  # type: ignore[arg-type]
    publishing = asyncio.create_task(publisher.publish([_outgoing(acked, "a"), _outgoing(acked, "b")]))
    while len(producer.futures) < 2:
        await asyncio.sleep(0)
    producer.futures[0].set_result(None)
    await asyncio.sleep(0)
    assert acked == []  # "b" is not acknowledged yet
    producer.futures[1].set_result(None)
    await publishing
    assert acked == ["a", "b"]


async def test_on_acked_never_runs_when_delivery_fails() -> None:
    producer, acked = FakeProducer(), []
    publisher = EventPublisher(producer, FakeSerde(), "news-service")  # type: ignore[arg-type]
    publishing = asyncio.create_task(publisher.publish([_outgoing(acked, "a"), _outgoing(acked, "b")]))
    while len(producer.futures) < 2:
        await asyncio.sleep(0)
    producer.futures[0].set_result(None)
    producer.futures[1].set_exception(RuntimeError("broker unavailable"))
    with pytest.raises(RuntimeError):
        await publishing
    assert acked == []
