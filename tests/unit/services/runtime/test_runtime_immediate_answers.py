"""RecordHandler: routes that answer at once (``answer_now``) beside awaited handlers, in record order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

from flux.contracts import RefreshNews
from flux.kafka.recent_ids import RecentIds
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.failures import CommandRejected
from flux.services.runtime.record_handling import CommandRoute, RecordHandler

from .test_runtime_record_handling import TOPIC, FakeDeadLetters, FakeMessage


class Record(FakeMessage):
    """A consumed record whose value is the command id (the fake serde turns it into the command)."""

    def __init__(self, offset: int, command_id: UUID) -> None:
        super().__init__(offset)
        self.command_id = command_id

    def value(self) -> bytes:
        return self.command_id.bytes


class IdSerde:
    """Decodes on the serde's no-I/O path (``decode_now``), as a loaded serde does."""

    def decode_now(self, contract: type, data: bytes) -> Any:
        return RefreshNews(command_id=UUID(bytes=data), issued_at=datetime.now(UTC))

    async def decode(self, contract: type, data: bytes) -> Any:
        raise AssertionError("a loaded serde never needs the registry here")


def handler(route: CommandRoute) -> tuple[RecordHandler, FakeDeadLetters]:
    parked = FakeDeadLetters()
    ctx = ServiceContext(
        service="test-service",
        settings=cast(Any, None),
        serde=cast(Any, IdSerde()),
        producer=cast(Any, None),
        publisher=cast(Any, None),
        dead_letters=cast(Any, parked),
        recent_commands=RecentIds(capacity=100, ttl_s=60),
    )
    return RecordHandler(ctx, [route]), parked


async def test_cached_answers_and_awaited_handlers_keep_the_records_order() -> None:
    ready: set[UUID] = set()
    awaited: list[UUID] = []

    def answer_now(command: RefreshNews) -> list[Any] | None:
        return [("now", command.command_id)] if command.command_id in ready else None

    async def on_command(command: RefreshNews) -> list[Any]:
        awaited.append(command.command_id)
        await asyncio.sleep(0.01)
        return [("awaited", command.command_id)]

    ids = [uuid4() for _ in range(6)]
    ready.update(ids[::2])
    records = handler(CommandRoute(RefreshNews, on_command, answer_now=answer_now))[0]
    tasks_before = len(asyncio.all_tasks())
    batch = await records.handle_batch([cast(Any, Record(i, c)) for i, c in enumerate(ids)])

    assert awaited == ids[1::2]  # only the commands the route could not answer ran their handler
    assert [event for event in batch.outgoing] == [("now" if c in ready else "awaited", c) for c in ids]
    assert batch.handled == [(TOPIC, c) for c in ids]
    assert len(asyncio.all_tasks()) == tasks_before


async def test_an_immediate_answer_needs_no_task() -> None:
    created: list[object] = []
    loop = asyncio.get_running_loop()
    loop.set_task_factory(lambda lp, coro, **kw: created.append(coro) or asyncio.Task(coro, loop=lp, **kw))
    try:
        records = handler(CommandRoute(RefreshNews, _never, answer_now=lambda c: [c.command_id]))[0]
        ids = [uuid4() for _ in range(50)]
        batch = await records.handle_batch([cast(Any, Record(i, c)) for i, c in enumerate(ids)])
    finally:
        loop.set_task_factory(None)
    assert batch.outgoing == ids
    assert created == []


async def test_a_repeat_is_skipped_and_a_rejection_is_dead_lettered_by_either_path() -> None:
    rejected = uuid4()

    def answer_now(command: RefreshNews) -> list[Any] | None:
        if command.command_id == rejected:
            raise CommandRejected("no such feed")
        return [command.command_id]

    repeated = uuid4()
    records, parked = handler(CommandRoute(RefreshNews, _never, answer_now=answer_now))
    batch = await records.handle_batch(
        [cast(Any, Record(0, repeated)), cast(Any, Record(1, rejected)), cast(Any, Record(2, repeated))]
    )
    assert batch.outgoing == [repeated]
    assert parked.parked == [(1, "CommandRejected")]
    assert rejected not in records.unsettled  # a rejected command may come again


async def _never(command: RefreshNews) -> list[Any]:
    raise AssertionError(f"the handler ran for {command.command_id}")
