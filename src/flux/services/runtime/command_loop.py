"""At-least-once command consumption shared by every domain service.

A batch of records is read, each record decoded into its generated command
class and handed to the domain handler (handlers run concurrently; they may
coalesce upstream calls), every resulting event is published and acknowledged,
and only then are the batch's offsets committed (gathered: at most every
``COMMIT_INTERVAL_S``, and when the loop stops). A record that cannot be
decoded or is rejected goes to its dead-letter topic and counts as handled.
When the broker or the registry is away, the batch is retried from its first
offset after a backoff, so nothing is skipped.

Example:
    >>> loop = CommandLoop(ctx, [CommandRoute(FetchWeather, handle_fetch)])  # doctest: +SKIP
    >>> await loop.run(stop_event)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from flux.kafka.config import consumer_config
from flux.kafka.consumer import AsyncConsumer
from flux.resilience import RetryPolicy
from flux.resilience.failures import is_transient
from flux.serde import SerdeError
from flux.serde.contract_schema import contract_schema
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.failures import CommandRejected
from flux.services.runtime.metrics import (
    COMMANDS_CONSUMED,
    COMMANDS_DUPLICATE,
    CONSUMER_LAG,
    DEAD_LETTERS,
    HANDLER_LATENCY,
    TRANSIENT_FAILURES,
)
from flux.services.runtime.publisher import Outgoing

__all__ = ["CommandHandler", "CommandLoop", "CommandRoute"]

LOG = logging.getLogger(__name__)

CommandHandler = Callable[[Any], Awaitable[Sequence[Outgoing]]]
LAG_REFRESH_S: Final = 5.0
# Handled batches whose events may await their acknowledgements at once.
MAX_FLIGHTS: Final = 4
# Offsets of acknowledged batches are committed together at most this often. At a steady rate a
# batch holds a few records, and one OffsetCommit (an append to __consumer_offsets) per batch was
# about a third of the single broker's CPU at 2,000 commands/s, which slowed every ack. A crash or
# rebalance redelivers at most this window more; the idempotency memory and the deterministic
# event ids absorb it.
COMMIT_INTERVAL_S: Final = 0.1
# For this long after a record arrived, the next ones are awaited by draining librdkafka's local
# queue on the loop thread every HOT_POLL_INTERVAL_S instead of a blocking consume in the executor:
# at a steady rate that wait ended every few milliseconds, and each thread hop cost more CPU than
# a millisecond tick. An idle service goes back to the blocking wait.
HOT_POLL_S: Final = 0.2
HOT_POLL_INTERVAL_S: Final = 0.001


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """Commands of ``contract`` (its topic) are handled by ``handler``."""

    contract: type
    handler: CommandHandler

    @property
    def topic(self) -> str:
        return contract_schema(self.contract).topic


@dataclass(frozen=True, slots=True)
class _Batch:
    """A handled batch: its records, the events to publish, the (topic, command id) pairs it answers."""

    records: Sequence[Message]
    outgoing: Sequence[Outgoing]
    handled: Sequence[tuple[str, Any]]
    started: float


@dataclass(frozen=True, slots=True)
class _Flight:
    """A batch whose events are being published (landed in order)."""

    batch: _Batch
    task: asyncio.Task[float]


class _TransientFailure(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


class CommandLoop:
    """Consumes a service's command topics in its consumer group and drives the handlers."""

    def __init__(
        self,
        ctx: ServiceContext,
        routes: Sequence[CommandRoute],
        *,
        batch_size: int = 500,
        poll_timeout_s: float = 0.05,
        max_concurrency: int = 256,
        retry: RetryPolicy | None = None,
        commit_interval_s: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.routes = {r.topic: r for r in routes}
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.commit_interval_s = COMMIT_INTERVAL_S if commit_interval_s is None else commit_interval_s
        self._limit = asyncio.Semaphore(max_concurrency)
        self._retry = retry or RetryPolicy(max_attempts=1_000_000, base_delay_s=0.2, max_delay_s=5.0)
        self._rng = random.Random()
        self.assigned = False
        self.healthy = True
        self._consumer: AsyncConsumer | None = None
        self._last_lag = 0.0
        # Metric children per topic, looked up once (labels() costs microseconds per record).
        self._consumed = {t: COMMANDS_CONSUMED.labels(ctx.service, t) for t in self.routes}
        # Command ids handled in the batches not yet committed: a repeat within them is skipped too.
        self._unsettled: set[Any] = set()
        self._latency = {t: HANDLER_LATENCY.labels(ctx.service, t) for t in self.routes}
        # Next offsets of landed batches not committed yet, and those of the last commit sent.
        self._landed: dict[tuple[str, int], TopicPartition] = {}
        self._committed: dict[tuple[str, int], TopicPartition] = {}
        self._last_commit = 0.0
        self._hot_until = 0.0

    @property
    def ready(self) -> bool:
        return self.assigned and self.healthy

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batches in flight are finished and committed first.

        Batches are pipelined: a handled batch's events are produced at once (the idempotent
        producer keeps their order) while the next batch is read and handled; batches land in
        order — acknowledged, remembered, committed — and at most ``MAX_FLIGHTS`` are in the air.
        Landed offsets are committed every ``commit_interval_s``, and synchronously on the way out.
        After a failure nothing later is committed: every unlanded record is read again.
        """
        config = consumer_config(self.ctx.settings, group_id=self.ctx.service, client_id=self.ctx.service)
        consumer = AsyncConsumer(config)
        self._consumer = consumer
        await consumer.subscribe(list(self.routes))
        failures = 0
        flights: deque[_Flight] = deque()
        try:
            while not stop.is_set():
                messages = await self._next_batch(consumer)
                records = [m for m in messages if self._usable(m)]
                failure: _TransientFailure | None = None
                rewind: list[Message] = []
                if records:
                    try:
                        batch = await self._handle_batch(records)
                        flights.append(_Flight(batch, asyncio.create_task(self._publish(batch))))
                    except _TransientFailure as exc:
                        failure = exc
                        rewind.extend(records)
                # Land what is acknowledged; wait for the oldest when too many fly or something failed.
                flight_failed = False
                while flights and (
                    flights[0].task.done() or len(flights) > MAX_FLIGHTS or failure is not None
                ):
                    flight = flights.popleft()
                    if not flight_failed:
                        try:
                            await self._land(flight)
                            failures = 0
                            self.healthy = True
                            continue
                        except _TransientFailure as exc:
                            failure = failure or exc
                            flight_failed = True
                    else:
                        await self._settle(flight)
                    rewind.extend(flight.batch.records)
                await self._commit_due(consumer)
                if failure is not None:
                    failures += 1
                    self.healthy = False
                    TRANSIENT_FAILURES.labels(self.ctx.service).inc()
                    delay = max(0.05, self._retry.backoff_delay(failures, self._rng))
                    LOG.warning(
                        "batch failed; retrying from its first offset",
                        extra={"error": str(failure), "retry_in_s": round(delay, 2), "attempt": failures},
                    )
                    self._unsettled.clear()  # every unsettled record is read again
                    await _rewind(consumer, rewind)
                    await _sleep_unless(stop, delay)
                await self._refresh_state(consumer)
            while flights:
                flight = flights.popleft()
                try:
                    await self._land(flight)
                except _TransientFailure:
                    for rest in flights:
                        await self._settle(rest)
                    break
            # What landed since the last commit, and that commit again: durable before leaving the group.
            final = list({**self._committed, **self._landed}.values())
            if final:
                with contextlib.suppress(Exception):
                    await consumer.commit(final, asynchronous=False)
        finally:
            for flight in flights:
                flight.task.cancel()
            await consumer.close()
            self._consumer = None

    async def _publish(self, batch: _Batch) -> float:
        """Publish the batch's events; returns when the last was acknowledged (perf_counter)."""
        await self.ctx.publisher.publish(batch.outgoing)
        return time.perf_counter()

    async def _land(self, flight: _Flight) -> None:
        """Wait for the batch's acknowledgements, remember its commands, mark its offsets committable."""
        try:
            acked_at = await flight.task
        except Exception as exc:
            raise _TransientFailure(exc) from exc
        for topic, command_id in flight.batch.handled:
            self.ctx.recent_commands.add(command_id)
            self._unsettled.discard(command_id)
            self._latency[topic].observe(acked_at - flight.batch.started)
        for tp in _next_offsets(flight.batch.records):
            self._landed[(tp.topic, tp.partition)] = tp

    async def _commit_due(self, consumer: AsyncConsumer) -> None:
        """Commit the landed offsets when ``commit_interval_s`` has passed since the last commit."""
        now = time.monotonic()
        if not self._landed or now - self._last_commit < self.commit_interval_s:
            return
        self._last_commit = now
        self._committed, self._landed = self._landed, {}
        await _commit_in_background(consumer, list(self._committed.values()))

    async def _settle(self, flight: _Flight) -> None:
        """After an earlier failure: wait for the batch, remember its commands if published, never commit."""
        try:
            await flight.task
        except Exception:
            return
        for _, command_id in flight.batch.handled:
            self.ctx.recent_commands.add(command_id)

    async def _next_batch(self, consumer: AsyncConsumer) -> list[Message]:
        """What is already fetched (up to a batch), else wait for the first record.

        Shortly after traffic (``HOT_POLL_S``) the wait is a millisecond tick on the loop thread
        instead of a blocking wait in the consumer's thread; an empty result then only means
        "nothing yet", and the caller lands finished batches before asking again.
        """
        messages = consumer.drain(self.batch_size)
        if not messages and time.monotonic() < self._hot_until:
            await asyncio.sleep(HOT_POLL_INTERVAL_S)
            messages = consumer.drain(self.batch_size)
            if not messages:
                return messages
        if not messages:
            messages = await consumer.next_batch(self.batch_size, wait_s=self.poll_timeout_s)
        if messages:
            self._hot_until = time.monotonic() + HOT_POLL_S
        return messages

    def _usable(self, msg: Message) -> bool:
        err = msg.error()
        if err is None:
            return True
        if err.code() != KafkaError._PARTITION_EOF:
            LOG.warning("consumer error", extra={"error": str(err)})
        return False

    async def _handle_batch(self, records: Sequence[Message]) -> _Batch:
        """Decode and handle every record concurrently; poison goes to its DLQ on the way."""
        started = time.perf_counter()
        results = await asyncio.gather(*(self._handle_record(m) for m in records), return_exceptions=True)
        outgoing: list[Outgoing] = []
        handled: list[tuple[str, Any]] = []
        for msg, result in zip(records, results, strict=True):
            if isinstance(result, _TransientFailure):
                raise result
            if isinstance(result, BaseException):
                raise _TransientFailure(result)
            if result is None:
                continue
            command_id, events = result
            outgoing.extend(events)
            handled.append((msg.topic() or "", command_id))
        return _Batch(records, outgoing, handled, started)

    async def _handle_record(self, msg: Message) -> tuple[Any, Sequence[Outgoing]] | None:
        topic = msg.topic() or ""
        route = self.routes[topic]
        self._consumed[topic].inc()
        try:
            command: object = await self.ctx.serde.decode(route.contract, msg.value() or b"")
        except SerdeError as exc:
            await self._dead_letter(msg, exc)
            return None
        except Exception as exc:
            if is_transient(exc):
                raise _TransientFailure(exc) from exc
            await self._dead_letter(msg, exc)
            return None
        command_id = getattr(command, "command_id", None)
        if command_id is not None:
            if command_id in self._unsettled or self.ctx.recent_commands.seen(command_id):
                COMMANDS_DUPLICATE.labels(self.ctx.service, topic).inc()
                return None
            self._unsettled.add(command_id)
        try:
            async with self._limit:
                events = await route.handler(command)
        except CommandRejected as exc:
            self._unsettled.discard(command_id)
            await self._dead_letter(msg, exc)
            return None
        except Exception as exc:
            if is_transient(exc):
                raise _TransientFailure(exc) from exc
            self._unsettled.discard(command_id)
            LOG.exception("handler failed; dead-lettering the command", extra={"topic": topic})
            await self._dead_letter(msg, exc)
            return None
        return command_id, events

    async def _dead_letter(self, msg: Message, error: BaseException) -> None:
        try:
            await self.ctx.dead_letters.publish(msg, error)
        except Exception as exc:
            raise _TransientFailure(exc) from exc
        DEAD_LETTERS.labels(self.ctx.service, msg.topic() or "", type(error).__name__).inc()

    async def _refresh_state(self, consumer: AsyncConsumer) -> None:
        now = time.monotonic()
        if now - self._last_lag < LAG_REFRESH_S and self.assigned:
            return
        self._last_lag = now
        try:
            assignment = await consumer.assignment()
            self.assigned = bool(assignment)
            if not assignment:
                return
            positions = await consumer.position(assignment)
            for tp in positions:
                low, high = await consumer.get_watermark_offsets(tp, cached=True)
                behind = high - tp.offset if tp.offset >= 0 else high - low
                CONSUMER_LAG.labels(self.ctx.service, tp.topic, str(tp.partition)).set(max(behind, 0))
        except Exception as exc:  # lag is best effort; never stop consuming for it
            LOG.debug("lag refresh failed", extra={"error": str(exc)})


def _next_offsets(records: Sequence[Message]) -> list[TopicPartition]:
    highest: dict[tuple[str, int], int] = {}
    for msg in records:
        key = (msg.topic() or "", msg.partition() or 0)
        highest[key] = max(highest.get(key, -1), msg.offset() or 0)
    return [TopicPartition(t, p, o + 1) for (t, p), o in highest.items()]


async def _commit_in_background(consumer: AsyncConsumer, offsets: list[TopicPartition]) -> None:
    """Commit without waiting for the broker's answer; never fails the batch.

    The batch's events are acknowledged already, so a lost commit only means a redelivery, which
    the idempotency memory absorbs.
    """
    try:
        await consumer.commit(offsets, asynchronous=True)
    except KafkaException as exc:  # e.g. no coordinator during a broker restart
        LOG.warning("commit failed; the batch may be redelivered", extra={"error": str(exc)})


async def _rewind(consumer: AsyncConsumer, records: Sequence[Message]) -> None:
    lowest: dict[tuple[str, int], int] = {}
    for msg in records:
        key = (msg.topic() or "", msg.partition() or 0)
        lowest[key] = min(lowest.get(key, msg.offset() or 0), msg.offset() or 0)
    for (topic, partition), offset in lowest.items():
        try:
            await consumer.seek(TopicPartition(topic, partition, offset))
        except Exception as exc:  # partition revoked meanwhile: its new owner starts from the commit
            LOG.info("rewind skipped", extra={"topic": topic, "partition": partition, "error": str(exc)})


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
