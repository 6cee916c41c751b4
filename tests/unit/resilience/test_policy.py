"""UpstreamPolicy: retries with recorded waits, Retry-After, timeouts, breaker and concurrency bounds."""

import asyncio
import random

import pytest

from flux.resilience import (
    BreakerState,
    CircuitBreaker,
    RetryPolicy,
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamPolicy,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnavailable,
)


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_policy(sleep: RecordingSleep, **kwargs: object) -> UpstreamPolicy:
    defaults: dict[str, object] = {
        "retry": RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=0.4),
        "timeout_s": 1.0,
        "rng": random.Random(7),
        "sleep": sleep,
    }
    defaults.update(kwargs)
    return UpstreamPolicy("up", **defaults)  # type: ignore[arg-type]


async def test_retries_transient_errors_then_succeeds() -> None:
    sleep = RecordingSleep()
    policy = make_policy(sleep)
    outcomes: list[Exception | str] = [
        UpstreamServerError("up", "503", status=503),
        UpstreamTimeout("up", "t"),
        "ok",
    ]

    async def op() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert await policy.call(op) == "ok"
    assert len(sleep.waits) == 2
    assert 0 <= sleep.waits[0] <= 0.1
    assert 0 <= sleep.waits[1] <= 0.2


async def test_honours_retry_after() -> None:
    sleep = RecordingSleep()
    policy = make_policy(sleep)
    calls = 0

    async def op() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise UpstreamRateLimited("up", "429", retry_after_s=2.5)
        return calls

    assert await policy.call(op) == 2
    assert sleep.waits == [2.5]


async def test_gives_up_after_max_attempts_with_last_error() -> None:
    sleep = RecordingSleep()
    policy = make_policy(sleep, breaker=CircuitBreaker("up", failure_threshold=100))
    calls = 0

    async def op() -> None:
        nonlocal calls
        calls += 1
        raise UpstreamServerError("up", f"503 #{calls}", status=503)

    with pytest.raises(UpstreamServerError, match="#4"):
        await policy.call(op)
    assert calls == 4
    assert len(sleep.waits) == 3


async def test_bad_payload_is_not_retried() -> None:
    sleep = RecordingSleep()
    policy = make_policy(sleep)
    calls = 0

    async def op() -> None:
        nonlocal calls
        calls += 1
        raise UpstreamBadPayload("up", "garbage")

    with pytest.raises(UpstreamBadPayload):
        await policy.call(op)
    assert calls == 1
    assert sleep.waits == []


async def test_attempt_timeout_becomes_upstream_timeout() -> None:
    sleep = RecordingSleep()
    policy = make_policy(sleep, timeout_s=0.02, retry=RetryPolicy(max_attempts=1))

    async def op() -> None:
        await asyncio.sleep(5)

    with pytest.raises(UpstreamTimeout):
        await policy.call(op)
    assert policy.breaker.consecutive_failures == 1


async def test_breaker_opens_and_short_circuits_calls() -> None:
    sleep = RecordingSleep()
    breaker = CircuitBreaker("up", failure_threshold=2, reset_timeout_s=60.0)
    policy = make_policy(sleep, breaker=breaker, retry=RetryPolicy(max_attempts=1))
    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        raise UpstreamServerError("up", "500", status=500)

    for _ in range(2):
        with pytest.raises(UpstreamServerError):
            await policy.call(failing)
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(UpstreamUnavailable):
        await policy.call(failing)
    assert calls == 2


async def test_client_errors_do_not_trip_the_breaker() -> None:
    policy = make_policy(RecordingSleep(), breaker=CircuitBreaker("up", failure_threshold=1))

    async def op() -> None:
        raise UpstreamClientError("up", "400", status=400)

    with pytest.raises(UpstreamClientError):
        await policy.call(op)
    assert policy.breaker.state is BreakerState.CLOSED


async def test_concurrency_is_bounded() -> None:
    policy = make_policy(RecordingSleep(), max_concurrent=3)
    peak = 0
    release = asyncio.Event()

    async def op() -> None:
        nonlocal peak
        peak = max(peak, policy.in_flight)
        await release.wait()

    tasks = [asyncio.create_task(policy.call(op)) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert policy.in_flight == 3
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 3
    assert policy.in_flight == 0
