"""AsyncProducer.produce_all: one future per batch, counted down by one shared delivery callback.

librdkafka's producer is replaced by a recorder whose delivery reports the test serves, in the
order and with the outcomes it chooses (the real producer is exercised by every integration test).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from flux.kafka import producer as producer_module
from flux.kafka.producer import AsyncProducer, DeliveryError


class FakeMessage:
    def __init__(self, topic: str) -> None:
        self._topic = topic

    def topic(self) -> str:
        return self._topic


class RecordingProducer:
    """Queues records with their callbacks; ``full`` and ``refuse`` make chosen produce calls fail."""

    def __init__(self, _config: dict[str, Any]) -> None:
        self.queued: list[tuple[str, Callable[[Any, Any], None]]] = []
        self.full = 0  # this many next produce calls raise BufferError
        self.refuse_at: int | None = None  # the produce call with this index raises KafkaException
        self.calls = 0
        self.polls = 0

    def produce(self, topic: str, value: Any = None, key: Any = None, **kwargs: Any) -> None:
        index, self.calls = self.calls, self.calls + 1
        if self.full:
            self.full -= 1
            raise BufferError("queue full")
        if index == self.refuse_at:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        self.queued.append((topic, kwargs["on_delivery"]))

    def poll(self, _timeout: float) -> int:
        self.polls += 1
        return 0

    def deliver(self, index: int, err: Any = None) -> None:
        topic, callback = self.queued[index]
        callback(err, FakeMessage(topic))


@pytest.fixture
def producer(monkeypatch: pytest.MonkeyPatch) -> AsyncProducer:
    monkeypatch.setattr(producer_module, "Producer", RecordingProducer)
    return AsyncProducer({"bootstrap.servers": "unused"})


def fake(producer: AsyncProducer) -> RecordingProducer:
    inner = producer._producer
    assert isinstance(inner, RecordingProducer)
    return inner


async def test_the_batch_resolves_only_when_its_last_record_is_acknowledged(producer: AsyncProducer) -> None:
    done = producer.produce_all([("a", b"1", b"k"), ("b", b"2", None), ("a", b"3", b"k")])
    inner = fake(producer)
    assert [t for t, _ in inner.queued] == ["a", "b", "a"]
    assert producer.pending == 3
    inner.deliver(2)
    inner.deliver(0)
    assert not done.done()
    inner.deliver(1)
    assert done.done() and done.result() is None
    assert producer.pending == 0
    assert len({id(cb) for _, cb in inner.queued}) == 1  # one callback object for the whole batch


async def test_a_failed_record_fails_the_batch_and_later_reports_are_harmless(
    producer: AsyncProducer,
) -> None:
    done = producer.produce_all([("a", b"1", None), ("b", b"2", None)])
    inner = fake(producer)
    inner.deliver(0, KafkaError(KafkaError._MSG_TIMED_OUT))
    with pytest.raises(DeliveryError, match=r"^a: "):
        await done
    inner.deliver(1)  # the other record's report still arrives
    assert producer.pending == 0


async def test_a_full_local_queue_is_drained_by_polling_and_the_record_still_goes(
    producer: AsyncProducer,
) -> None:
    inner = fake(producer)
    inner.full = 2
    done = producer.produce_all([("a", b"1", None), ("a", b"2", None)])
    assert inner.polls >= 1  # served reports while the queue was full
    assert len(inner.queued) == 2
    inner.deliver(0)
    inner.deliver(1)
    await asyncio.wait_for(done, 1)


async def test_a_refused_record_raises_and_the_queued_ones_are_counted(producer: AsyncProducer) -> None:
    inner = fake(producer)
    inner.refuse_at = 1
    with pytest.raises(DeliveryError, match="cannot queue record"):
        producer.produce_all([("a", b"1", None), ("a", b"2", None), ("a", b"3", None)])
    assert len(inner.queued) == 1
    assert producer.pending == 1  # the first record is in librdkafka's hands
    inner.deliver(0)  # its report after the batch was abandoned: no error, the count settles
    assert producer.pending == 0


async def test_an_empty_batch_is_done_at_once(producer: AsyncProducer) -> None:
    done = producer.produce_all([])
    assert done.done() and done.result() is None
    assert fake(producer).calls == 0
