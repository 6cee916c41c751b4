"""The registry log on Kafka: replay into the state, append records and wait until they are applied.

A consumer thread reads the single partition from the beginning and hands batches to the event
loop, which applies them to the state in log order. ``append`` produces with ``acks=all`` and
returns only after the consumer has applied the appended records, so an acknowledged write is
both durable and visible. Every instance (primary or follower) learns state only from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from flux.catalogue import TopicSpec
from flux.kafka.admin import ensure_topics
from flux.kafka.config import consumer_config, producer_config
from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.records import LogRecord, decode_record, encode_record
from flux.settings import Settings

__all__ = ["KafkaRecordLog"]

LOG = logging.getLogger(__name__)

PARTITION: Final = 0
APPLY_TIMEOUT_S: Final = 30.0
BATCH: Final = 1000


class KafkaRecordLog:
    """Replays and appends the registry topic.

    Args:
        settings: Kafka connection settings.
        topic: the registry topic (single partition, compacted).
        apply: called on the event loop for each decoded record, in log order.
        create_topic: create the topic with this spec when it does not exist (the primary does,
            as Confluent's server does; followers wait for it).
    """

    def __init__(
        self,
        settings: Settings,
        topic: str,
        apply: Callable[[LogRecord], None],
        *,
        create_topic: TopicSpec | None = None,
    ) -> None:
        self.settings = settings
        self.topic = topic
        self._create_topic = create_topic
        self._apply = apply
        self._loop: asyncio.AbstractEventLoop | None = None
        self._position = 0  # next offset to apply
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._stop = threading.Event()
        self._consumer_thread: threading.Thread | None = None
        self._producer_thread: threading.Thread | None = None
        self._producer: Producer | None = None
        self._ready = asyncio.Event()
        self._start_high = 0
        self.high_watermark = 0
        self.records_applied = 0
        self.replay_seconds: float | None = None
        self._started_at = 0.0
        self.consumer_error: str | None = None
        self.cluster_id: str | None = None  # the Kafka cluster's id, for /v1/metadata/id

    # ------------------------------------------------------------------ lifecycle
    @property
    def ready(self) -> bool:
        """True once the log has been replayed up to where it ended at start-up."""
        return self._ready.is_set()

    @property
    def lag(self) -> int:
        return max(0, self.high_watermark - self._position)

    async def start(self, *, writable: bool) -> None:
        """Start consuming (and producing when ``writable``); return at once (see :meth:`wait_ready`)."""
        self._loop = asyncio.get_running_loop()
        self._started_at = time.monotonic()
        client = f"flux-registry-{uuid.uuid4().hex[:8]}"
        config: dict[str, Any] = consumer_config(self.settings, group_id=client, client_id=client)
        config.update({"enable.partition.eof": True, "fetch.wait.max.ms": 50, "fetch.min.bytes": 1})
        consumer = Consumer(config)
        self._consumer_thread = threading.Thread(
            target=self._consume, args=(consumer,), name="registry-log-consumer", daemon=True
        )
        self._consumer_thread.start()
        if writable:
            self._producer = Producer(producer_config(self.settings, client_id=client, linger_ms=0))
            self._producer_thread = threading.Thread(
                target=self._poll_producer, name="registry-log-producer", daemon=True
            )
            self._producer_thread.start()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def close(self) -> None:
        self._stop.set()
        for thread in (self._consumer_thread, self._producer_thread):
            if thread is not None:
                await asyncio.to_thread(thread.join, 3.0)  # daemon threads: never block shutdown long
        if self._producer is not None:
            await asyncio.to_thread(self._producer.flush, 5.0)

    # ------------------------------------------------------------------ consuming (thread)
    def _consume(self, consumer: Consumer) -> None:
        partition = TopicPartition(self.topic, PARTITION)
        try:
            while not self._stop.is_set():
                try:
                    if self._create_topic is not None and ensure_topics(
                        self.settings, [self._create_topic], timeout=5.0
                    ):
                        LOG.info("created the registry topic", extra={"topic": self.topic})
                    _, high = consumer.get_watermark_offsets(partition, timeout=5.0, cached=False)
                    self.cluster_id = consumer.list_topics(self.topic, timeout=5.0).cluster_id
                    break
                except Exception as exc:  # KafkaException while the broker starts
                    self.consumer_error = str(exc)
                    LOG.warning(
                        "waiting for the registry topic", extra={"topic": self.topic, "error": str(exc)}
                    )
                    time.sleep(1.0)
            else:
                return
            self._post(self._set_start_high, high)
            consumer.assign([TopicPartition(self.topic, PARTITION, OFFSET_BEGINNING)])
            last_watermark_check = 0.0
            while not self._stop.is_set():
                first = consumer.poll(0.2)
                messages = [first] if first is not None else []
                if first is not None:
                    messages.extend(consumer.consume(num_messages=BATCH, timeout=0))
                batch: list[tuple[int, bytes | None, bytes | None]] = []
                eof_at: int | None = None
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            eof_at = message.offset()
                        else:
                            self.consumer_error = str(error)
                            LOG.warning("registry log consumer error", extra={"error": str(error)})
                        continue
                    offset = message.offset()
                    if offset is not None:
                        batch.append((offset, message.key(), message.value()))
                now = time.monotonic()
                watermark: int | None = None
                if now - last_watermark_check > 1.0:
                    last_watermark_check = now
                    try:
                        watermark = consumer.get_watermark_offsets(partition, timeout=2.0, cached=True)[1]
                    except Exception:  # best effort, for the lag metric
                        watermark = None
                if batch or eof_at is not None or watermark is not None:
                    self._post(self._apply_batch, batch, eof_at, watermark)
        finally:
            consumer.close()

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(callback, *args)

    # ------------------------------------------------------------------ applying (event loop)
    def _set_start_high(self, high: int) -> None:
        self._start_high = high
        self.high_watermark = max(self.high_watermark, high)
        self._check_ready()

    def _apply_batch(
        self, batch: list[tuple[int, bytes | None, bytes | None]], eof_at: int | None, watermark: int | None
    ) -> None:
        for offset, key, value in batch:
            try:
                record = decode_record(key, value)
            except ValueError as exc:
                LOG.warning("skipping malformed registry record", extra={"offset": offset, "error": str(exc)})
                record = None
            if record is not None:
                self._apply(record)
                self.records_applied += 1
            self._position = offset + 1
        if eof_at is not None:
            self._position = max(self._position, eof_at)
        self.high_watermark = max(self.high_watermark, self._position, watermark or 0)
        if watermark is not None and watermark < self.high_watermark:
            self.high_watermark = max(watermark, self._position)
        self._check_ready()
        self._release_waiters()

    def _check_ready(self) -> None:
        if not self._ready.is_set() and self._start_high >= 0 and self._position >= self._start_high:
            if self._consumer_thread is None:
                return
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
        """Wait until the record at ``offset`` has been applied to the state."""
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

    # ------------------------------------------------------------------ producing
    def _poll_producer(self) -> None:
        producer = self._producer
        assert producer is not None
        while not self._stop.is_set():
            producer.poll(0.05)

    async def append(self, records: Sequence[LogRecord]) -> None:
        """Produce ``records`` in order (acks=all) and wait until all are applied to the state.

        Raises:
            RegistryError: 50001 when Kafka refuses the write, 50002 when it is not applied in time.
        """
        if self._producer is None:
            raise RegistryError(
                500, ErrorCode.STORE_ERROR, "This registry instance does not write to the log"
            )
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[int]] = []
        for record in records:
            future: asyncio.Future[int] = loop.create_future()
            futures.append(future)

            def delivered(
                error: KafkaError | None, message: Any, future: asyncio.Future[int] = future
            ) -> None:
                if error is not None:
                    loop.call_soon_threadsafe(_fail, future, str(error))
                else:
                    loop.call_soon_threadsafe(_succeed, future, int(message.offset()))

            key, value = encode_record(record)
            try:
                self._producer.produce(
                    self.topic, key=key, value=value, partition=PARTITION, on_delivery=delivered
                )
            except (BufferError, ValueError) as exc:
                raise RegistryError(
                    500, ErrorCode.STORE_ERROR, f"Error while writing to the registry log: {exc}"
                ) from None
        try:
            offsets = await asyncio.wait_for(asyncio.gather(*futures), APPLY_TIMEOUT_S + 5)
        except TimeoutError:
            raise RegistryError(
                500, ErrorCode.OPERATION_TIMEOUT, "Write to the registry log timed out"
            ) from None
        except _DeliveryError as exc:
            raise RegistryError(
                500, ErrorCode.STORE_ERROR, f"Error while writing to the registry log: {exc}"
            ) from None
        await self.wait_applied(max(offsets))

    async def sync(self, limit_s: float = APPLY_TIMEOUT_S) -> None:
        """Wait until everything in the log right now is applied (followers, after a forwarded write)."""
        high = await asyncio.to_thread(self._current_high)
        if high > 0:
            await self.wait_applied(high - 1, limit_s)

    def _current_high(self) -> int:
        config: dict[str, Any] = consumer_config(
            self.settings,
            group_id=f"flux-registry-sync-{uuid.uuid4().hex[:8]}",
            client_id="flux-registry-sync",
        )
        consumer = Consumer(config)
        try:
            return int(consumer.get_watermark_offsets(TopicPartition(self.topic, PARTITION), timeout=5.0)[1])
        finally:
            consumer.close()


class _DeliveryError(Exception):
    pass


def _fail(future: asyncio.Future[int], message: str) -> None:
    if not future.done():
        future.set_exception(_DeliveryError(message))


def _succeed(future: asyncio.Future[int], offset: int) -> None:
    if not future.done():
        future.set_result(offset)
