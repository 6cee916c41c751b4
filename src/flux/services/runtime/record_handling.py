"""One batch of command records: decode, skip repeats, run the handlers, dead-letter what fails.

Records are decoded and checked for repeats one after the other on the loop. A
route may answer a command at once (``CommandRoute.answer_now``: no I/O, e.g.
from a cache); the others run their async handler concurrently (at most
``max_concurrency`` at once; they may coalesce upstream calls), one task each.
A batch answered from caches thus costs no task, no semaphore and no event-loop
turn per record. Events keep the records' order. Failures follow the platform's
one policy (:mod:`flux.resilience.failures`):

* the record's fault — it does not decode, the handler rejects it, or the
  handler hits a bug — sends it to its dead-letter topic, and it counts as
  handled;
* the environment's fault (broker, network or registry unavailable) raises
  :class:`TransientFailure`, and the loop reads the batch again after a backoff;
  a record that keeps failing that way for ``RecordFailurePolicy`` attempts is
  dead-lettered with its error class instead, so no record is retried forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from confluent_kafka import Message

from flux.resilience import RecordFailurePolicy, RetryPolicy
from flux.serde import SerdeError
from flux.serde.contract_schema import contract_schema
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.failures import CommandRejected
from flux.services.runtime.metrics import COMMANDS_CONSUMED, COMMANDS_DUPLICATE, DEAD_LETTERS
from flux.services.runtime.publisher import Outgoing

__all__ = ["CommandHandler", "CommandRoute", "HandledBatch", "RecordHandler", "TransientFailure"]

LOG = logging.getLogger(__name__)

CommandHandler = Callable[[Any], Awaitable[Sequence[Outgoing]]]
# Answers a command without I/O when it can (None: run the route's async handler instead).
ImmediateAnswer = Callable[[Any], Sequence[Outgoing] | None]
# What one record came to: None (skipped, dead-lettered) or its command id and events.
_Result: TypeAlias = tuple[Any, Sequence[Outgoing]] | None
# Records whose transient failures are being counted; a bound, not a working set (one batch's worth
# is typical). Forgetting an old count only gives that record a fresh set of attempts.
_ATTEMPTS_REMEMBERED: Final = 10_000
# A command may wait out an outage of a minute or two (the loop's backoff is capped at 5 s) before
# it is parked in its dead-letter topic; a replay brings it back once the cause is fixed.
SERVICE_FAILURES: Final = RecordFailurePolicy(RetryPolicy(max_attempts=25, base_delay_s=0.2, max_delay_s=5.0))


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """Commands of ``contract`` (its topic) are handled by ``handler``.

    ``answer_now``, when given, is tried first: it returns the command's events when it can answer
    without waiting (it raises as the handler would), else None and ``handler`` runs.
    """

    contract: type
    handler: CommandHandler
    answer_now: ImmediateAnswer | None = None

    @property
    def topic(self) -> str:
        return contract_schema(self.contract).topic


@dataclass(frozen=True, slots=True)
class HandledBatch:
    """A handled batch: its records, the events to publish, the (topic, command id) pairs it answers."""

    records: Sequence[Message]
    outgoing: Sequence[Outgoing]
    handled: Sequence[tuple[str, Any]]
    started: float


class TransientFailure(Exception):
    """The environment failed (broker, network, registry): the batch must be read again later."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


class RecordHandler:
    """Turns records into events for one service (see module docs)."""

    def __init__(
        self,
        ctx: ServiceContext,
        routes: Sequence[CommandRoute],
        *,
        max_concurrency: int = 256,
        failures: RecordFailurePolicy = SERVICE_FAILURES,
    ) -> None:
        self.ctx = ctx
        self.routes = {r.topic: r for r in routes}
        self._limit = asyncio.Semaphore(max_concurrency)
        self._failures = failures
        # Metric children per topic, looked up once (labels() costs microseconds per record).
        self._consumed = {t: COMMANDS_CONSUMED.labels(ctx.service, t) for t in self.routes}
        # Command ids handled in batches not landed yet: a repeat within them is skipped too.
        self.unsettled: set[Any] = set()
        self._attempts: OrderedDict[tuple[str, int, int], int] = OrderedDict()

    async def handle_batch(self, records: Sequence[Message]) -> HandledBatch:
        """Handle every record; raises :class:`TransientFailure` when one must be retried."""
        started = time.perf_counter()
        results: list[_Result | BaseException] = []
        waiting: dict[int, asyncio.Task[_Result]] = {}
        try:
            for msg in records:
                try:
                    begun = await self._begin(msg)
                except Exception as exc:
                    results.append(exc)
                    continue
                if isinstance(begun, _Waiting):
                    waiting[len(results)] = asyncio.create_task(begun.coroutine)
                    begun = None
                results.append(begun)
            if waiting:
                done = await asyncio.gather(*waiting.values(), return_exceptions=True)
                for index, outcome in zip(waiting, done, strict=True):
                    results[index] = outcome
        except BaseException:  # cancelled: no handler outlives its batch
            for task in waiting.values():
                task.cancel()
            raise
        for topic, count in Counter(msg.topic() or "" for msg in records).items():
            self._consumed[topic].inc(count)
        outgoing: list[Outgoing] = []
        handled: list[tuple[str, Any]] = []
        for msg, result in zip(records, results, strict=True):
            if isinstance(result, TransientFailure):
                raise result
            if isinstance(result, BaseException):
                raise TransientFailure(result)
            if result is None:
                continue
            command_id, events = result
            outgoing.extend(events)
            handled.append((msg.topic() or "", command_id))
        return HandledBatch(records, outgoing, handled, started)

    def forget_attempts(self, records: Sequence[Message]) -> None:
        """The records landed: their transient failures no longer count."""
        if not self._attempts:  # the usual case: nothing failed lately
            return
        for msg in records:
            self._attempts.pop(_position(msg), None)

    async def _begin(self, msg: Message) -> _Result | _Waiting:
        """Decode and dedup ``msg``; answer it at once when its route can, else hand back its handler."""
        topic = msg.topic() or ""
        route = self.routes[topic]
        try:
            command: object = self.ctx.serde.decode_now(route.contract, msg.value() or b"")
            if command is None:  # its writer schema is not loaded yet: fetch it
                command = await self.ctx.serde.decode(route.contract, msg.value() or b"")
        except SerdeError as exc:
            await self._dead_letter(msg, exc)
            return None
        except Exception as exc:
            await self._transient_or_dead(msg, exc)
            return None
        command_id = getattr(command, "command_id", None)
        if command_id is not None:
            if command_id in self.unsettled or self.ctx.recent_commands.seen(command_id):
                COMMANDS_DUPLICATE.labels(self.ctx.service, topic).inc()
                return None
            self.unsettled.add(command_id)
        if route.answer_now is not None:
            try:
                events = route.answer_now(command)
            except Exception as exc:
                return await self._failed(msg, command_id, exc)
            if events is not None:
                return command_id, events
        return _Waiting(self._run(msg, route, command, command_id))

    async def _run(self, msg: Message, route: CommandRoute, command: object, command_id: Any) -> _Result:
        try:
            async with self._limit:
                events = await route.handler(command)
        except Exception as exc:
            return await self._failed(msg, command_id, exc)
        return command_id, events

    async def _failed(self, msg: Message, command_id: Any, error: Exception) -> _Result:
        """The handler raised: the command is not handled now (dead-lettered, or retried later)."""
        self.unsettled.discard(command_id)
        if isinstance(error, CommandRejected):
            await self._dead_letter(msg, error)
        else:
            await self._transient_or_dead(msg, error)
        return None

    async def _transient_or_dead(self, msg: Message, error: BaseException) -> None:
        """Raise :class:`TransientFailure` while the policy allows another attempt, else dead-letter."""
        key = _position(msg)
        attempt = self._attempts.pop(key, 0) + 1
        if self._failures.should_retry(error, attempt):
            self._attempts[key] = attempt
            while len(self._attempts) > _ATTEMPTS_REMEMBERED:
                self._attempts.popitem(last=False)
            raise TransientFailure(error) from error
        if attempt > 1:
            LOG.warning("record failed %d times; dead-lettering it", attempt, extra={"topic": msg.topic()})
        else:
            LOG.exception("handling a command failed; dead-lettering it", extra={"topic": msg.topic()})
        await self._dead_letter(msg, error)

    async def _dead_letter(self, msg: Message, error: BaseException) -> None:
        try:
            await self.ctx.dead_letters.publish(msg, error)
        except Exception as exc:
            raise TransientFailure(exc) from exc
        DEAD_LETTERS.labels(self.ctx.service, msg.topic() or "", type(error).__name__).inc()


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A record whose handler must run as a task (its route could not answer at once)."""

    coroutine: Coroutine[Any, Any, _Result]


def _position(msg: Message) -> tuple[str, int, int]:
    return (msg.topic() or "", msg.partition() or 0, msg.offset() or 0)
