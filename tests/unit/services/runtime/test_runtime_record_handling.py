"""RecordHandler: the one failure policy applied to commands (dead-letter bad ones, bounded retries)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

import pytest

from flux.contracts import RefreshNews
from flux.kafka.recent_ids import RecentIds
from flux.resilience import RecordFailurePolicy, RetryPolicy
from flux.serde import BadMagicByte
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.failures import CommandRejected
from flux.services.runtime.record_handling import CommandRoute, RecordHandler, TransientFailure
from flux.settings import Settings

TOPIC = RefreshNews.TOPIC


class FakeMessage:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def topic(self) -> str:
        return TOPIC

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes:
        return b"payload"


class FakeSerde:
    def __init__(self, outcome: BaseException | None) -> None:
        self.outcome = outcome

    def decode_now(self, contract: type, data: bytes) -> Any:
        return None  # the writer schema is not loaded yet: the handler awaits decode (registry I/O)

    async def decode(self, contract: type, data: bytes) -> Any:
        del contract, data
        if self.outcome is not None:
            raise self.outcome
        return RefreshNews(command_id=uuid4(), issued_at=datetime.now(UTC))


class FakeDeadLetters:
    def __init__(self) -> None:
        self.parked: list[tuple[int, str]] = []

    async def publish(self, msg: FakeMessage, error: BaseException) -> None:
        self.parked.append((msg.offset(), type(error).__name__))


def handler_with(
    serde: FakeSerde, on_command: Any, attempts: int = 3
) -> tuple[RecordHandler, FakeDeadLetters]:
    dead = FakeDeadLetters()
    ctx = ServiceContext(
        service="test-service",
        settings=Settings(),
        serde=cast(Any, serde),
        producer=cast(Any, None),
        publisher=cast(Any, None),
        dead_letters=cast(Any, dead),
        recent_commands=RecentIds(capacity=100, ttl_s=60),
    )
    policy = RecordFailurePolicy(RetryPolicy(max_attempts=attempts, base_delay_s=0.0, max_delay_s=0.0))
    return RecordHandler(ctx, [CommandRoute(RefreshNews, on_command)], failures=policy), dead


async def no_events(command: Any) -> list[Any]:
    del command
    return []


async def test_a_transient_failure_is_retried_up_to_the_bound_then_dead_lettered() -> None:
    handler, dead = handler_with(FakeSerde(ConnectionRefusedError("registry down")), no_events, attempts=3)
    record = cast(Any, FakeMessage(7))
    for _ in range(2):  # attempts 1 and 2: read the batch again later
        with pytest.raises(TransientFailure):
            await handler.handle_batch([record])
    assert dead.parked == []
    batch = await handler.handle_batch([record])  # attempt 3: the bound
    assert dead.parked == [(7, "ConnectionRefusedError")]
    assert batch.handled == [] and batch.outgoing == []


async def test_records_that_land_start_counting_again() -> None:
    handler, dead = handler_with(FakeSerde(ConnectionRefusedError("down")), no_events, attempts=3)
    record = cast(Any, FakeMessage(1))
    for _ in range(2):
        with pytest.raises(TransientFailure):
            await handler.handle_batch([record])
    handler.forget_attempts([record])
    with pytest.raises(TransientFailure):
        await handler.handle_batch([record])
    assert dead.parked == []


@pytest.mark.parametrize(
    ("decode_error", "handler_error", "parked_as"),
    [
        (BadMagicByte(0x7B), None, "BadMagicByte"),
        (None, CommandRejected("latitude out of range"), "CommandRejected"),
        (None, RuntimeError("a bug in the handler"), "RuntimeError"),
    ],
)
async def test_the_records_own_failures_are_dead_lettered_at_once(
    decode_error: BaseException | None, handler_error: BaseException | None, parked_as: str
) -> None:
    async def failing(command: Any) -> list[Any]:
        del command
        assert handler_error is not None
        raise handler_error

    handler, dead = handler_with(FakeSerde(decode_error), failing if handler_error else no_events)
    batch = await handler.handle_batch([cast(Any, FakeMessage(3))])
    assert dead.parked == [(3, parked_as)]
    assert batch.handled == []
