"""Messages per second from Kafka's offsets: two samples, bounded state, batched broker calls."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from flux.bff.topic_rates import TopicRates
from flux.kafka.offsets import OffsetsUnavailable, TopicOffsets, read_topic_offsets


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def reader(ends: dict[str, int], calls: list[int]) -> Any:
    async def read(topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        calls.append(1)
        return {t: TopicOffsets(2, 0, e) for t, e in ends.items() if t in topics}

    return read


async def test_rate_is_end_offset_growth_over_the_time_between_two_samples() -> None:
    clock, calls, ends = Clock(), [], {"a": 10, "b": 0}
    rates = TopicRates(["a", "b"], reader(ends, calls), min_interval_s=1.0, clock=clock)
    first = await rates.sample()
    assert first.available and first.topics["a"].per_second is None and first.window_s is None
    clock.now += 2.0
    ends.update(a=30, b=1)
    second = await rates.sample()
    assert second.window_s == pytest.approx(2.0)
    assert second.topics["a"].per_second == pytest.approx(10.0)
    assert second.topics["b"].per_second == pytest.approx(0.5)
    assert second.topics["a"].end_offset == 30 and second.topics["a"].partitions == 2
    clock.now += 2.0
    ends.update(a=5)  # recreated topic: its offsets went back
    assert (await rates.sample()).topics["a"].per_second is None


async def test_only_the_configured_topics_are_kept_and_reads_are_spaced() -> None:
    clock, calls = Clock(), []
    rates = TopicRates(["a"], reader({"a": 1, "stranger": 9}, calls), min_interval_s=1.0, clock=clock)
    views = await asyncio.gather(*(rates.sample() for _ in range(10)))
    assert len(calls) == 1 and all(set(v.topics) == {"a"} for v in views)
    clock.now += 0.5
    await rates.sample()
    assert len(calls) == 1
    clock.now += 0.6
    await rates.sample()
    assert len(calls) == 2


async def test_requests_during_a_slow_read_share_it_and_the_interval_counts_from_its_end() -> None:
    clock, calls = Clock(), []

    async def slow(topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        calls.append(1)
        await asyncio.sleep(0.05)
        clock.now += 5.0  # the read outlasts min_interval_s
        return {"a": TopicOffsets(1, 0, len(calls))}

    rates = TopicRates(["a"], slow, min_interval_s=1.0, clock=clock)
    views = await asyncio.gather(*(rates.sample() for _ in range(5)))
    assert len(calls) == 1 and {v.topics["a"].end_offset for v in views} == {1}
    await rates.sample()  # the read just finished: within the interval of its end
    assert len(calls) == 1


async def test_kafka_unavailable_or_slow_is_said_and_retried_after_the_interval() -> None:
    clock = Clock()
    state = {"mode": "down"}

    async def read(topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        if state["mode"] == "down":
            raise OffsetsUnavailable("Local: Broker transport failure")
        if state["mode"] == "slow":
            await asyncio.sleep(5)
        return {"a": TopicOffsets(1, 0, 3)}

    rates = TopicRates(["a"], read, min_interval_s=1.0, timeout_s=0.2, clock=clock)
    view = await rates.sample()
    assert not view.available and view.error == "Local: Broker transport failure" and not view.topics
    state["mode"] = "slow"
    clock.now += 1.1
    view = await rates.sample()
    assert not view.available and "within 0.2s" in (view.error or "")
    state["mode"] = "up"
    clock.now += 1.1
    view = await rates.sample()
    assert view.available and view.topics["a"].end_offset == 3


# ------------------------------------------------------------ read_topic_offsets
@dataclass
class _Meta:
    partitions: dict[int, object]
    error: object = None


@dataclass
class _Info:
    offset: int


class FakeAdmin:
    """An AdminClient's ``list_topics`` and ``list_offsets``, recording the requests."""

    def __init__(self, offsets: dict[tuple[str, int], tuple[int, int]], fail: bool = False) -> None:
        self.offsets = offsets
        self.fail = fail
        self.requests: list[int] = []

    def list_topics(self, timeout: float) -> Any:
        if self.fail:
            raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Broker transport failure"))
        names: dict[str, dict[int, object]] = {}
        for topic, partition in self.offsets:
            names.setdefault(topic, {})[partition] = object()
        return type("Metadata", (), {"topics": {t: _Meta(p) for t, p in names.items()}})()

    def list_offsets(self, request: dict[Any, Any], request_timeout: float) -> dict[Any, Future[_Info]]:
        self.requests.append(len(request))
        answers: dict[Any, Future[_Info]] = {}
        for tp, spec in request.items():
            start, end = self.offsets[(tp.topic, tp.partition)]
            future: Future[_Info] = Future()
            future.set_result(_Info(start if type(spec).__name__ == "EarliestSpec" else end))
            answers[tp] = future
        return answers


def test_offsets_are_summed_over_partitions_in_two_batched_requests() -> None:
    admin = FakeAdmin({("t", 0): (2, 10), ("t", 1): (0, 5), ("d", 0): (1, 4)})
    found = read_topic_offsets(admin, ["t", "d", "missing", "t"], timeout_s=1.0)
    assert found == {"t": TopicOffsets(2, 2, 15), "d": TopicOffsets(1, 1, 4)}
    assert found["d"].records == 3
    assert admin.requests == [3, 3]  # earliest and latest, every partition at once


def test_a_broker_that_does_not_answer_is_offsets_unavailable() -> None:
    with pytest.raises(OffsetsUnavailable, match="Broker transport failure"):
        read_topic_offsets(FakeAdmin({}, fail=True), ["t"], timeout_s=0.1)


async def test_the_real_reader_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """KafkaOffsetReader calls read_topic_offsets in a worker thread, never on the loop."""
    from flux.bff import topic_rates

    seen: list[str] = []

    def fake_read(admin: Any, topics: Sequence[str], *, timeout_s: float) -> dict[str, TopicOffsets]:
        seen.append(threading.current_thread().name)
        return {t: TopicOffsets(1, 0, 7) for t in topics}

    monkeypatch.setattr(topic_rates, "read_topic_offsets", fake_read)
    reader = topic_rates.KafkaOffsetReader({"bootstrap.servers": "127.0.0.1:1"}, timeout_s=0.1)
    reader._admin = object()  # no librdkafka client for this test
    assert await reader(["t"]) == {"t": TopicOffsets(1, 0, 7)}
    assert seen and seen[0] != threading.current_thread().name


async def test_closing_releases_the_kafka_client() -> None:
    from flux.bff.topic_rates import KafkaOffsetReader

    reader = KafkaOffsetReader({"bootstrap.servers": "127.0.0.1:1"})
    reader._admin = object()
    rates = TopicRates(["t"], reader)
    await rates.close()
    assert reader._admin is None
    await rates.close()  # idempotent


async def test_an_unexpected_reader_error_is_unavailable_not_a_crash() -> None:
    async def broken(topics: Sequence[str]) -> Mapping[str, TopicOffsets]:
        raise ValueError("bad config")

    view = await TopicRates(["a"], broken).sample()
    assert not view.available and view.error == "reading the offsets failed: ValueError"
