"""CircuitBreaker transitions: closed → open → half-open → closed (or back to open)."""

import pytest

from flux.resilience import BreakerState, CircuitBreaker, UpstreamUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_breaker(clock: FakeClock, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker("up", failure_threshold=threshold, reset_timeout_s=10.0, clock=clock)


def test_opens_after_threshold_consecutive_failures() -> None:
    clock = FakeClock()
    breaker = make_breaker(clock)
    for _ in range(2):
        breaker.acquire()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.acquire()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(UpstreamUnavailable) as info:
        breaker.acquire()
    assert info.value.retry_after_s == pytest.approx(10.0)


def test_success_resets_the_failure_count() -> None:
    breaker = make_breaker(FakeClock())
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 2


def test_half_open_after_timeout_allows_one_probe_and_closes_on_success() -> None:
    clock = FakeClock()
    breaker = make_breaker(clock, threshold=1)
    breaker.record_failure()
    clock.now += 9.9
    assert breaker.state is BreakerState.OPEN
    clock.now += 0.2
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.acquire()
    with pytest.raises(UpstreamUnavailable):
        breaker.acquire()  # only one probe at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.acquire()


def test_failed_probe_reopens_for_a_full_timeout() -> None:
    clock = FakeClock()
    breaker = make_breaker(clock, threshold=1)
    breaker.record_failure()
    clock.now += 10.0
    breaker.acquire()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 5.0
    with pytest.raises(UpstreamUnavailable):
        breaker.acquire()
    clock.now += 5.0
    assert breaker.state is BreakerState.HALF_OPEN


def test_neutral_outcome_frees_the_probe_slot_without_closing() -> None:
    clock = FakeClock()
    breaker = make_breaker(clock, threshold=1)
    breaker.record_failure()
    clock.now += 10.0
    breaker.acquire()
    breaker.record_neutral()
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.acquire()
