"""At-least-once command consumption shared by every domain service.

A batch of records is read, each record decoded into its generated command
class and handed to the domain handler (handlers run concurrently; they may
coalesce upstream calls), every resulting event is published and acknowledged,
and only then are the batch's offsets committed (gathered: at most every
``COMMIT_INTERVAL_S``, and when the loop stops). A record that cannot be
decoded or is rejected goes to its dead-letter topic and counts as handled.
When the broker or the registry is away, the batch is retried from its first
offset after a backoff, so nothing is skipped (a record that keeps failing
that way is dead-lettered after a bound: :mod:`flux.services.runtime.record_handling`).

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from confluent_kafka import KafkaError, Message, TopicPartition

from flux.kafka.config import consumer_config
from flux.kafka.consumer import AsyncConsumer
from flux.kafka.lag import ConsumerLag
from flux.resilience import RetryPolicy
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.metrics import CONSUMER_LAG, HANDLER_LATENCY, TRANSIENT_FAILURES
from flux.services.runtime.offsets import commit_in_background, next_offsets, rewind, sleep_unless
from flux.services.runtime.record_handling import CommandRoute, HandledBatch, RecordHandler, TransientFailure

__all__ = ["CommandLoop"]

LOG = logging.getLogger(__name__)

# Assignment and lag are refreshed by a task of their own (never inside a batch's step): every
# LAG_REFRESH_S once partitions are assigned, every ASSIGNMENT_POLL_S until then.
LAG_REFRESH_S: Final = 5.0
ASSIGNMENT_POLL_S: Final = 0.1
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
class _Flight:
    """A batch whose events are being published (landed in order)."""

    batch: HandledBatch
    task: asyncio.Task[float]


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
        self.records = RecordHandler(ctx, routes, max_concurrency=max_concurrency)
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.commit_interval_s = COMMIT_INTERVAL_S if commit_interval_s is None else commit_interval_s
        self._retry = retry or RetryPolicy(max_attempts=1_000_000, base_delay_s=0.2, max_delay_s=5.0)
        self._rng = random.Random()
        self.assigned = False
        self.healthy = True
        self._failures = 0
        self._lag = ConsumerLag(CONSUMER_LAG, ctx.service)
        self._latency = {t: HANDLER_LATENCY.labels(ctx.service, t) for t in self.records.routes}
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
        await consumer.subscribe(list(self.records.routes))
        flights: deque[_Flight] = deque()
        watcher = asyncio.create_task(self._watch_assignment(consumer, stop), name="assignment-and-lag")
        try:
            while not stop.is_set():
                await self._step(consumer, flights, stop)
            await self._finish(consumer, flights)
        finally:
            watcher.cancel()
            for flight in flights:
                flight.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await consumer.close()

    async def _step(self, consumer: AsyncConsumer, flights: deque[_Flight], stop: asyncio.Event) -> None:
        """Read and handle one batch, land what is acknowledged, commit when due, back off on failure."""
        records = [m for m in await self._next_batch(consumer) if self._usable(m)]
        failure: TransientFailure | None = None
        rewind_to: list[Message] = []
        if records:
            try:
                batch = await self.records.handle_batch(records)
                flights.append(_Flight(batch, asyncio.create_task(self._publish(batch))))
            except TransientFailure as exc:
                failure = exc
                rewind_to.extend(records)
        failure = await self._land_ready(flights, failure, rewind_to)
        await self._commit_due(consumer)
        if failure is not None:
            await self._back_off(consumer, failure, rewind_to, stop)

    async def _land_ready(
        self, flights: deque[_Flight], failure: TransientFailure | None, rewind_to: list[Message]
    ) -> TransientFailure | None:
        """Land acknowledged flights in order; wait for the oldest when too many fly or one failed."""
        flight_failed = False
        while flights and (flights[0].task.done() or len(flights) > MAX_FLIGHTS or failure is not None):
            flight = flights.popleft()
            if not flight_failed:
                try:
                    await self._land(flight)
                    self._failures = 0
                    self.healthy = True
                    continue
                except TransientFailure as exc:
                    failure = failure or exc
                    flight_failed = True
            else:
                await self._settle(flight)
            rewind_to.extend(flight.batch.records)
        return failure

    async def _back_off(
        self,
        consumer: AsyncConsumer,
        failure: TransientFailure,
        rewind_to: list[Message],
        stop: asyncio.Event,
    ) -> None:
        self._failures += 1
        self.healthy = False
        TRANSIENT_FAILURES.labels(self.ctx.service).inc()
        delay = max(0.05, self._retry.backoff_delay(self._failures, self._rng))
        LOG.warning(
            "batch failed; retrying from its first offset",
            extra={"error": str(failure), "retry_in_s": round(delay, 2), "attempt": self._failures},
        )
        self.records.unsettled.clear()  # every unsettled record is read again
        await rewind(consumer, rewind_to)
        await sleep_unless(stop, delay)

    async def _finish(self, consumer: AsyncConsumer, flights: deque[_Flight]) -> None:
        """Land what is in flight, then commit everything landed: durable before leaving the group."""
        while flights:
            flight = flights.popleft()
            try:
                await self._land(flight)
            except TransientFailure:
                for rest in flights:
                    await self._settle(rest)
                break
        final = list({**self._committed, **self._landed}.values())
        if final:
            with contextlib.suppress(Exception):
                await consumer.commit(final, asynchronous=False)

    async def _publish(self, batch: HandledBatch) -> float:
        """Publish the batch's events; returns when the last was acknowledged (perf_counter)."""
        await self.ctx.publisher.publish(batch.outgoing)
        return time.perf_counter()

    async def _land(self, flight: _Flight) -> None:
        """Wait for the batch's acknowledgements, remember its commands, mark its offsets committable."""
        try:
            acked_at = await flight.task
        except Exception as exc:
            raise TransientFailure(exc) from exc
        remember, settle = self.ctx.recent_commands.add, self.records.unsettled.discard
        per_topic: dict[str, int] = {}
        for topic, command_id in flight.batch.handled:
            remember(command_id)
            settle(command_id)
            per_topic[topic] = per_topic.get(topic, 0) + 1
        latency = acked_at - flight.batch.started
        for topic, count in per_topic.items():  # the batch's commands share one latency
            self._latency[topic].observe(latency, count)
        self.records.forget_attempts(flight.batch.records)
        for tp in next_offsets(flight.batch.records):
            self._landed[(tp.topic, tp.partition)] = tp

    async def _commit_due(self, consumer: AsyncConsumer) -> None:
        """Commit the landed offsets when ``commit_interval_s`` has passed since the last commit."""
        now = time.monotonic()
        if not self._landed or now - self._last_commit < self.commit_interval_s:
            return
        self._last_commit = now
        self._committed, self._landed = self._landed, {}
        await commit_in_background(consumer, list(self._committed.values()))

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

    async def _watch_assignment(self, consumer: AsyncConsumer, stop: asyncio.Event) -> None:
        """Keep ``assigned`` and the lag gauge current, beside the batches (their broker-side
        lookups and thread hops never hold up a step)."""
        while not stop.is_set():
            await self._refresh_state(consumer)
            await sleep_unless(stop, LAG_REFRESH_S if self.assigned else ASSIGNMENT_POLL_S)

    async def _refresh_state(self, consumer: AsyncConsumer) -> None:
        try:
            assignment = await consumer.assignment()
            self.assigned = bool(assignment)
            if not assignment:
                return
            positions = await consumer.position(assignment)
            await self._lag.report(consumer, [(tp.topic, tp.partition, tp.offset) for tp in positions])
        except Exception as exc:  # lag is best effort; never stop consuming for it
            LOG.debug("lag refresh failed", extra={"error": str(exc)})
