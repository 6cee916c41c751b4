"""Kafka event source: every event topic → decoded contract → :class:`Snapshot` → gateway.

Every BFF instance must see every event, so partitions are assigned
manually (no consumer-group coordination, no rebalances) starting at each
partition's current end: the instance is *ready* once positions are pinned,
and anything produced after that reaches it. Earlier state comes from the
snapshot cache. Offsets are never committed (the group id is unique per
instance anyway). Failures follow the platform's one policy
(:mod:`flux.resilience.failures`): a record that cannot be decoded or
converted, for whatever reason, goes to the topic's dead-letter topic with
headers naming the error class; so does a record that breaks its data
contract's READ rules (headers naming the rule, as Confluent's ``__rule.*``:
no client ever receives it); a transient failure (registry or network
unavailable) is retried a bounded number of times first. The consumer never
stops for a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import time
import uuid
from typing import Any, Final

from confluent_kafka import OFFSET_END, KafkaError, KafkaException, TopicPartition

from flux.bff.config import BffSettings
from flux.bff.convert import UnsupportedEvent, to_snapshot
from flux.bff.metrics import BffMetrics
from flux.bff.snapshot import Publish, Snapshot
from flux.bff.topic_serde import RegistryTopicSerde, TopicSerde
from flux.catalogue import TopicSpec, load_catalogue
from flux.contracts import contract_for
from flux.kafka.config import consumer_config, producer_config
from flux.kafka.consumer import AsyncConsumer
from flux.kafka.dead_letter import DeadLetterPublisher
from flux.kafka.lag import ConsumerLag
from flux.kafka.producer import AsyncProducer
from flux.resilience import RecordFailurePolicy, RetryPolicy
from flux.settings import Settings

__all__ = ["KafkaEventSource"]

LOG = logging.getLogger(__name__)

_LAG_INTERVAL_S: Final = 5.0
_BATCH: Final = 500
# A consumer that cannot poll has nothing to dead-letter: it backs off and polls again, forever.
_POLL_BACKOFF: Final = RetryPolicy(max_attempts=1_000_000, base_delay_s=0.2, max_delay_s=5.0)


class KafkaEventSource:
    """Consumes ``load_catalogue().consumed_by("bff")`` and feeds the gateway (see module docs)."""

    def __init__(
        self,
        settings: Settings,
        bff_settings: BffSettings,
        metrics: BffMetrics,
        serde: TopicSerde | None = None,
        failures: RecordFailurePolicy | None = None,
    ) -> None:
        self._settings = settings
        self._failures = failures or RecordFailurePolicy()
        self._rng = random.Random()
        self._metrics = metrics
        self._lag = ConsumerLag(metrics.kafka_lag, "bff")
        self._serde = serde
        suffix = bff_settings.instance_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.group_id = f"flux-bff-{suffix}"
        self._topics: tuple[TopicSpec, ...] = load_catalogue().consumed_by("bff")
        self._consumer: AsyncConsumer | None = None
        self._dlq_producer: AsyncProducer | None = None
        self._dlq: DeadLetterPublisher | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._positions: dict[tuple[str, int], int] = {}
        self._ready = False

    @property
    def ready(self) -> bool:
        return self._ready

    async def start(self, publish: Publish) -> None:
        """Pin every partition at its end, then consume in the background."""
        if self._serde is None:
            self._serde = RegistryTopicSerde(self._settings)
        config = consumer_config(
            self._settings, group_id=self.group_id, client_id=self.group_id, offset_reset="latest"
        )
        config["fetch.wait.max.ms"] = 10  # latency over batching: the BFF is a real-time relay
        self._consumer = AsyncConsumer(config)
        self._dlq_producer = AsyncProducer(producer_config(self._settings, client_id=f"{self.group_id}-dlq"))
        self._dlq = DeadLetterPublisher(self._dlq_producer, service="bff", group=self.group_id)
        await self._assign_at_end(self._consumer)
        self._ready = True
        self._tasks = [
            asyncio.create_task(self._consume(self._consumer, publish), name="bff-consume"),
            asyncio.create_task(self._report_lag(self._consumer), name="bff-lag"),
        ]

    async def _assign_at_end(self, consumer: AsyncConsumer, wait_s: float = 30.0) -> None:
        deadline = time.monotonic() + wait_s
        wanted = {t.name for t in self._topics}
        while True:
            metadata = await consumer.list_topics(timeout_s=5.0)
            present = {
                name: sorted(meta.partitions)
                for name, meta in metadata.topics.items()
                if name in wanted and meta.error is None
            }
            if set(present) == wanted or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
        missing = wanted - set(present)
        if missing:
            LOG.error("event topics missing; not consuming them", extra={"topics": sorted(missing)})
        assignment = []
        for name, partitions in sorted(present.items()):
            for partition in partitions:
                high = await self._end_offset(consumer, TopicPartition(name, partition), deadline)
                assignment.append(TopicPartition(name, partition, high))
                self._positions[(name, partition)] = high
        await consumer.assign(assignment)
        LOG.info("consuming event topics from their end", extra={"partitions": len(assignment)})

    @staticmethod
    async def _end_offset(consumer: AsyncConsumer, tp: TopicPartition, deadline: float) -> int:
        """High watermark of ``tp``; retried while the partition has no leader yet (fresh topics)."""
        while True:
            try:
                _, high = await consumer.get_watermark_offsets(tp, timeout_s=5.0)
                return int(high)
            except KafkaException as exc:
                if time.monotonic() >= deadline:
                    LOG.warning(
                        "no end offset for %s[%d] (%s); starting at the end", tp.topic, tp.partition, exc
                    )
                    return int(OFFSET_END)
                await asyncio.sleep(0.2)

    async def _consume(self, consumer: AsyncConsumer, publish: Publish) -> None:
        failed_polls = 0
        while True:
            try:
                messages = await consumer.next_batch(_BATCH, wait_s=0.5)
            except asyncio.CancelledError:
                raise
            except Exception:
                failed_polls += 1
                LOG.exception("kafka consume failed; retrying", extra={"attempt": failed_polls})
                await asyncio.sleep(_POLL_BACKOFF.backoff_delay(failed_polls, self._rng))
                continue
            failed_polls = 0
            for msg in messages:
                await self._handle(msg, publish)

    async def _handle(self, msg: Any, publish: Publish) -> None:
        error = msg.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                LOG.warning("kafka consumer error: %s", error)
            return
        topic = msg.topic()
        self._positions[(topic, msg.partition())] = msg.offset() + 1
        self._metrics.consumed.labels(topic).inc()
        snapshot = await self._decode(msg)
        if snapshot is None:
            return
        try:
            await publish(snapshot)
        except Exception:
            LOG.exception("fan-out failed", extra={"topic": topic, "snapshot_id": snapshot.snapshot_id})

    async def _decode(self, msg: Any) -> Snapshot | None:
        """Decode and convert one record; None when it was dead-lettered (see module docs)."""
        serde = self._serde
        assert serde is not None
        attempt = 0
        while True:
            attempt += 1
            try:
                decoded = await serde.decode(msg.topic(), msg.value() or b"", msg.headers())
                break
            except Exception as exc:
                delay = self._failures.retry_delay(exc, attempt, self._rng)
                if delay is None:  # the record's fault, or the environment's for too long
                    await self._dead_letter(msg, exc)
                    return None
                LOG.warning(
                    "decode failed, retrying",
                    extra={"error": f"{type(exc).__name__}: {exc}", "attempt": attempt, "retry_in_s": delay},
                )
                await asyncio.sleep(delay)
        try:
            return to_snapshot(contract_for(msg.topic()), decoded)
        except Exception as exc:  # pure code on a decoded record: retrying cannot help
            if not isinstance(exc, UnsupportedEvent):
                LOG.exception("converting an event failed", extra={"topic": msg.topic()})
            await self._dead_letter(msg, exc)
            return None

    async def _dead_letter(self, msg: Any, exc: BaseException) -> None:
        topic = msg.topic()
        try:
            assert self._dlq is not None
            await self._dlq.publish(msg, exc)
            self._metrics.dead_letters.labels(topic).inc()
        except Exception:
            LOG.exception("could not write dead letter", extra={"topic": topic, "offset": msg.offset()})

    async def _report_lag(self, consumer: AsyncConsumer) -> None:
        """Every few seconds: high watermark (cached from fetch responses, no broker call) - position."""
        while True:
            await asyncio.sleep(_LAG_INTERVAL_S)
            positions = [
                (topic, partition, position) for (topic, partition), position in self._positions.items()
            ]
            await self._lag.report(consumer, positions)

    async def stop(self) -> None:
        """Stop consuming and close the Kafka clients."""
        self._ready = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.close()
            self._consumer = None
        if self._dlq_producer is not None:
            await self._dlq_producer.aclose(wait_s=5.0)
            self._dlq_producer = None
            self._dlq = None
        if self._serde is not None:
            await self._serde.close()
