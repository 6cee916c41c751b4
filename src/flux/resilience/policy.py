"""One policy object per upstream that wraps every call: bounded concurrency, timeout, breaker, retries.

Example:
    >>> import asyncio
    >>> policy = UpstreamPolicy("demo", timeout_s=1.0)
    >>> async def fetch() -> int:
    ...     return 42
    >>> asyncio.run(policy.call(fetch))
    42
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from flux.resilience.breaker import CircuitBreaker
from flux.resilience.errors import UpstreamError, UpstreamTimeout
from flux.resilience.retry import RetryPolicy

__all__ = ["UpstreamPolicy"]

LOG = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class UpstreamPolicy:
    """Runs calls to one upstream with every resilience rule Flux applies.

    Each attempt waits for a concurrency slot, asks the breaker, and runs under ``timeout_s``.
    Retryable failures are retried per ``retry``; the last error is raised as is.

    Args:
        name: The upstream's name.
        retry: Retry timing.
        breaker: The upstream's breaker (a fresh one with defaults when omitted).
        timeout_s: Time allowed for one attempt.
        max_concurrent: Attempts in flight at once against this upstream.
        rng: Jitter source (seed it in tests).
        sleep: Awaitable sleep (replace it in tests to observe waits without waiting).
    """

    def __init__(
        self,
        name: str,
        *,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        timeout_s: float = 10.0,
        max_concurrent: int = 8,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if timeout_s <= 0 or max_concurrent < 1:
            raise ValueError("timeout_s must be > 0 and max_concurrent >= 1")
        self.name = name
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker(name)
        self.timeout_s = timeout_s
        self.max_concurrent = max_concurrent
        self._slots = asyncio.Semaphore(max_concurrent)
        self._in_flight = 0
        self._rng = rng or random.Random()
        self._sleep = sleep

    @property
    def in_flight(self) -> int:
        """Attempts running right now."""
        return self._in_flight

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation`` under the policy.

        Raises:
            UpstreamError: The last failure once retries are exhausted or not allowed
                (``UpstreamUnavailable`` when the breaker is open).
        """
        retry_number = 0
        while True:
            try:
                return await self._attempt(operation)
            except UpstreamError as error:
                retry_number += 1
                delay = self.retry.delay_after(error, retry_number, self._rng)
                if delay is None:
                    raise
                LOG.warning(
                    "upstream %s failed (%s); retry %d in %.3fs",
                    self.name,
                    type(error).__name__,
                    retry_number,
                    delay,
                )
                await self._sleep(delay)

    async def _attempt(self, operation: Callable[[], Awaitable[T]]) -> T:
        async with self._slots:
            self.breaker.acquire()
            self._in_flight += 1
            try:
                async with asyncio.timeout(self.timeout_s):
                    result = await operation()
            except TimeoutError as exc:
                self.breaker.record_failure()
                raise UpstreamTimeout(self.name, f"no answer within {self.timeout_s}s") from exc
            except UpstreamError as error:
                if error.trips_breaker:
                    self.breaker.record_failure()
                else:
                    self.breaker.record_neutral()
                raise
            except BaseException:
                self.breaker.record_neutral()
                raise
            finally:
                self._in_flight -= 1
            self.breaker.record_success()
            return result
