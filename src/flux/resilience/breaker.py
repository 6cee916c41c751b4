"""A circuit breaker per upstream: closed → open after repeated failures → half-open probe → closed.

Example:
    >>> breaker = CircuitBreaker("demo", failure_threshold=1, reset_timeout_s=60.0)
    >>> breaker.record_failure()
    >>> breaker.state
    <BreakerState.OPEN: 'open'>
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum

from flux.resilience.errors import UpstreamUnavailable

__all__ = ["BreakerState", "CircuitBreaker"]

LOG = logging.getLogger(__name__)


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stops calling an upstream that keeps failing, then lets a few probes through to test it.

    Args:
        name: The upstream's name, used in errors and logs.
        failure_threshold: Consecutive failures that open the breaker.
        reset_timeout_s: How long the breaker stays open before allowing probes.
        half_open_max_calls: Probes allowed at once while half-open.
        clock: Monotonic clock in seconds (injectable for tests).
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout_s: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or half_open_max_calls < 1 or reset_timeout_s < 0:
            raise ValueError("failure_threshold and half_open_max_calls must be >= 1, reset_timeout_s >= 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._probes_in_flight = 0

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose timeout elapsed reads as half-open."""
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.reset_timeout_s:
            self._transition(BreakerState.HALF_OPEN)
            self._probes_in_flight = 0
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._consecutive_failures

    def acquire(self) -> None:
        """Ask to make a call now.

        Raises:
            UpstreamUnavailable: The breaker is open, or half-open with all probe slots taken.
        """
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and self._probes_in_flight < self.half_open_max_calls:
            self._probes_in_flight += 1
            return
        remaining = max(0.0, self.reset_timeout_s - (self._clock() - self._opened_at))
        raise UpstreamUnavailable(self.name, f"circuit {state.value}", retry_after_s=remaining)

    def record_success(self) -> None:
        """A call made after :meth:`acquire` succeeded."""
        self._consecutive_failures = 0
        self._release_probe()
        if self._state is not BreakerState.CLOSED:
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """A call made after :meth:`acquire` failed in a way that counts against the upstream."""
        self._consecutive_failures += 1
        self._release_probe()
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._consecutive_failures >= self.failure_threshold
        ):
            self._opened_at = self._clock()
            self._transition(BreakerState.OPEN)

    def record_neutral(self) -> None:
        """A call made after :meth:`acquire` ended in a way that says nothing about the upstream."""
        self._release_probe()

    def _release_probe(self) -> None:
        if self._probes_in_flight:
            self._probes_in_flight -= 1

    def _transition(self, new_state: BreakerState) -> None:
        LOG.info("circuit %s: %s -> %s", self.name, self._state.value, new_state.value)
        self._state = new_state
