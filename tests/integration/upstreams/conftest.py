"""Fake upstream servers on a real loopback port, shared by the module, with faults cleared per test."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from flux.resilience import CircuitBreaker, RetryPolicy, UpstreamPolicy
from flux.upstreams import FakeUpstreams


class RecordingSleep:
    """Records the waits a policy asks for and yields to the loop instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def fake() -> AsyncIterator[FakeUpstreams]:
    async with FakeUpstreams(seed=7, tick_rate_hz=400, heartbeat_interval_s=0.05) as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults(fake: FakeUpstreams) -> Iterator[None]:
    fake.faults.clear()
    yield
    fake.faults.clear()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def fast_policy(
    name: str, sleep: RecordingSleep, *, attempts: int = 3, timeout_s: float = 2.0, threshold: int = 100
) -> UpstreamPolicy:
    """A policy with tiny backoffs so failure paths run in milliseconds."""
    return UpstreamPolicy(
        name,
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.01, max_delay_s=0.05, max_retry_after_s=30),
        breaker=CircuitBreaker(name, failure_threshold=threshold, reset_timeout_s=60),
        timeout_s=timeout_s,
        rng=random.Random(1),
        sleep=sleep,
    )
