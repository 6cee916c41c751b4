"""The registry log on Kafka: replay into the state, learn the leader, wait until writes are applied.

A reader task (a :class:`flux.kafka.consumer.AsyncConsumer` assigned the topic's one partition,
``read_committed``) replays the log from the beginning and applies batches to the state in log
order on the event loop. Records of aborted transactions — a fenced ex-leader's — are never read.
``LEADER`` records (:mod:`flux.registry.storage.election`) update :attr:`KafkaRecordLog.leader`
instead of the state. Every node, leader or follower, learns state only from the log.

Writes go through :attr:`KafkaRecordLog.writer`, which only the current leader has
(:mod:`flux.registry.storage.leadership`): ``append`` returns once the records are committed and
applied here, so an acknowledged write is durable and visible.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from confluent_kafka import OFFSET_BEGINNING, KafkaError, Message, TopicPartition

from flux.catalogue import TopicSpec
from flux.kafka.admin import ensure_topics
from flux.kafka.config import log_reader_config
from flux.kafka.consumer import AsyncConsumer
from flux.registry.core.errors import ErrorCode, NotLeaderError, RegistryError
from flux.registry.core.records import LogRecord, decode_record
from flux.registry.storage.election import LeaderInfo, decode_leader
from flux.settings import Settings

__all__ = ["KafkaRecordLog", "LogWriter"]

LOG = logging.getLogger(__name__)

PARTITION: Final = 0
APPLY_TIMEOUT_S: Final = 30.0
BATCH: Final = 1000
WATERMARK_EVERY_S: Final = 1.0


class LogWriter(Protocol):
    """What the leader lends the log while it leads: writes records and waits until they are applied."""

    async def write(self, records: Sequence[LogRecord]) -> None: ...


class KafkaRecordLog:
    """Replays the registry topic; appends through the leader's writer.

    Args:
        settings: Kafka connection settings.
        topic: the registry topic (single partition, compacted).
        apply: called on the event loop for each decoded record, in log order.
        create_topic: create the topic with this spec when it does not exist (eligible nodes do,
            as Confluent's server does; the others wait for it).
    """

    def __init__(
        self,
        settings: Settings,
        topic: str,
        apply: Callable[[LogRecord], None],
        *,
        create_topic: TopicSpec | None = None,
        client_id: str = "flux-registry",
    ) -> None:
        self.settings = settings
        self.topic = topic
        self._create_topic = create_topic
        self._apply = apply
        self._client_id = client_id
        self._position = 0  # next offset to apply
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._reader: asyncio.Task[None] | None = None
        self._consumer: AsyncConsumer | None = None
        self._ready = asyncio.Event()
        self._start_high = -1
        self.high_watermark = 0
        self.records_applied = 0
        self.replay_seconds: float | None = None
        self._started_at = 0.0
        self.consumer_error: str | None = None
        self.cluster_id: str | None = None  # the Kafka cluster's id, for /v1/metadata/id
        self.leader: LeaderInfo | None = None  # the last leader record read
        self._leader_changed = asyncio.Event()
        self.writer: LogWriter | None = None  # set while this node leads
        self.on_batch: Callable[[], None] | None = None  # after each applied batch (worker positions)

    # ------------------------------------------------------------------ lifecycle
    @property
    def ready(self) -> bool:
        """True once the log has been replayed up to where it ended at start-up."""
        return self._ready.is_set()

    @property
    def lag(self) -> int:
        return max(0, self.high_watermark - self._position)

    @property
    def position(self) -> int:
        """The next offset to apply: every record before it is in the state."""
        return self._position

    async def start(self) -> None:
        """Start replaying; return at once (see :meth:`wait_ready`)."""
        self._started_at = time.monotonic()
        self._reader = asyncio.create_task(self._read(), name="registry-log-reader")

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.close()

    # ------------------------------------------------------------------ reading
    async def _connect(self, consumer: AsyncConsumer, partition: TopicPartition) -> int:
        """Wait for Kafka and the topic (creating it when configured to); the high watermark."""
        while True:
            try:
                metadata = await consumer.list_topics(timeout_s=5.0)
                self.cluster_id = metadata.cluster_id
                # An admin client costs a connection and its metadata: only when the topic is missing.
                if self._create_topic is not None and self.topic not in metadata.topics:
                    spec = self._create_topic
                    if await asyncio.to_thread(ensure_topics, self.settings, [spec], timeout=5.0):
                        LOG.info("created the registry topic", extra={"topic": self.topic})
                _, high = await consumer.get_watermark_offsets(partition, timeout_s=5.0)
                return high
            except Exception as exc:  # KafkaException while the broker starts
                self.consumer_error = str(exc)
                LOG.warning("waiting for the registry topic", extra={"topic": self.topic, "error": str(exc)})
                await asyncio.sleep(1.0)

    async def _read(self) -> None:
        consumer = AsyncConsumer(log_reader_config(self.settings, client_id=self._client_id))
        self._consumer = consumer
        partition = TopicPartition(self.topic, PARTITION)
        self._set_start_high(await self._connect(consumer, partition))
        await consumer.assign([TopicPartition(self.topic, PARTITION, OFFSET_BEGINNING)])
        last_check = 0.0
        while True:
            messages = await consumer.next_batch(BATCH, wait_s=0.2)
            watermark: int | None = None
            now = time.monotonic()
            if now - last_check > WATERMARK_EVERY_S:
                last_check = now
                try:  # from the last fetch response: no broker call
                    watermark = (await consumer.get_watermark_offsets(partition, cached=True))[1]
                except Exception:  # best effort, for the lag metric
                    watermark = None
            if messages or watermark is not None:
                self._apply_batch(messages, watermark)

    # ------------------------------------------------------------------ applying (event loop)
    def _set_start_high(self, high: int) -> None:
        self._start_high = high
        self.high_watermark = max(self.high_watermark, high)
        self._check_ready(eof=False)

    def _apply_batch(self, messages: list[Message], watermark: int | None) -> None:
        eof = False
        for message in messages:
            error = message.error()
            offset = message.offset()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    eof = True
                    if offset is not None:
                        self._position = max(self._position, offset)  # past control records too
                else:
                    self.consumer_error = str(error)
                    LOG.warning("registry log consumer error", extra={"error": str(error)})
                continue
            if offset is None:
                continue
            self._apply_one(offset, message.key(), message.value())
            self._position = offset + 1
        self.high_watermark = max(self.high_watermark, self._position, watermark or 0)
        if watermark is not None and watermark < self.high_watermark:
            self.high_watermark = max(watermark, self._position)
        self._check_ready(eof=eof)
        self._release_waiters()
        if self.on_batch is not None:
            self.on_batch()

    def _apply_one(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        leader = decode_leader(key, value)
        if leader is not None:
            self.leader = leader
            self._leader_changed.set()
            self._leader_changed = asyncio.Event()
            LOG.info("registry leader record", extra={"leader_url": leader.url, "offset": offset})
            return
        try:
            record = decode_record(key, value)
        except ValueError as exc:
            LOG.warning("skipping malformed registry record", extra={"offset": offset, "error": str(exc)})
            return
        if record is not None:
            self._apply(record)
            self.records_applied += 1

    def _check_ready(self, *, eof: bool) -> None:
        if self._ready.is_set() or self._start_high < 0:
            return
        if self._position >= self._start_high or eof:  # an open transaction may hold the end back
            self.replay_seconds = time.monotonic() - self._started_at
            LOG.info(
                "registry log replayed",
                extra={"records": self.records_applied, "seconds": round(self.replay_seconds, 3)},
            )
            self._ready.set()

    def _release_waiters(self) -> None:
        still: list[tuple[int, asyncio.Future[None]]] = []
        for offset, future in self._waiters:
            if offset < self._position:
                if not future.done():
                    future.set_result(None)
            else:
                still.append((offset, future))
        self._waiters = still

    async def wait_applied(self, offset: int, limit_s: float = APPLY_TIMEOUT_S) -> None:
        """Wait until the record at ``offset`` has been applied to the state.

        Raises:
            RegistryError: 50002 when it is not applied within ``limit_s``.
        """
        if offset < self._position:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((offset, future))
        try:
            await asyncio.wait_for(future, limit_s)
        except TimeoutError:
            raise RegistryError(
                500, ErrorCode.OPERATION_TIMEOUT, "Operation timed out while waiting for the registry log"
            ) from None

    async def wait_leader_change(self, limit_s: float) -> bool:
        """Wait until another leader record is read; False when none came within ``limit_s``."""
        try:
            await asyncio.wait_for(self._leader_changed.wait(), limit_s)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ writing
    async def append(self, records: Sequence[LogRecord]) -> None:
        """Write ``records`` in one transaction and wait until they are applied to the state.

        Raises:
            RegistryError: 50004 when this node does not lead (any more), 50001 when Kafka refuses
                the write, 50002 when it is not applied in time.
        """
        writer = self.writer
        if writer is None:
            raise NotLeaderError()
        await writer.write(records)

    async def sync(self, limit_s: float = APPLY_TIMEOUT_S) -> None:
        """Wait until everything in the log right now is applied (asks the running consumer for
        the end of the log: no extra client)."""
        consumer = self._consumer
        if consumer is None:
            return
        _, high = await consumer.get_watermark_offsets(TopicPartition(self.topic, PARTITION), timeout_s=5.0)
        if high > 0:
            await self.wait_applied(high - 1, limit_s)
