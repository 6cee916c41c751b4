"""Retry timing: capped exponential backoff with full jitter, honouring an upstream's Retry-After.

Example:
    >>> import random
    >>> policy = RetryPolicy(max_attempts=3, base_delay_s=0.1, max_delay_s=1.0)
    >>> 0.0 <= policy.backoff_delay(1, random.Random(1)) <= 0.1
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from flux.resilience.errors import UpstreamError, UpstreamRateLimited

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to try a call and how long to wait between tries.

    Attributes:
        max_attempts: Total tries including the first one (1 disables retries).
        base_delay_s: Backoff ceiling of the first retry.
        max_delay_s: Largest backoff ceiling, whatever the retry number.
        multiplier: Growth of the ceiling per retry.
        max_retry_after_s: Longest Retry-After the policy waits for; a longer one ends the retries.
    """

    max_attempts: int = 4
    base_delay_s: float = 0.25
    max_delay_s: float = 10.0
    multiplier: float = 2.0
    max_retry_after_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.base_delay_s < 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("need 0 <= base_delay_s <= max_delay_s")
        if self.multiplier < 1:
            raise ValueError("multiplier must be >= 1")

    def backoff_ceiling(self, retry_number: int) -> float:
        """Upper bound of the wait before retry ``retry_number`` (1 for the first retry)."""
        if retry_number < 1:
            raise ValueError("retry_number starts at 1")
        exponent = min(retry_number - 1, 64)
        return float(min(self.max_delay_s, self.base_delay_s * self.multiplier**exponent))

    def backoff_delay(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: a uniform draw in ``[0, backoff_ceiling(retry_number)]``."""
        return rng.uniform(0.0, self.backoff_ceiling(retry_number))

    def delay_after(self, error: UpstreamError, retry_number: int, rng: random.Random) -> float | None:
        """Wait before retry ``retry_number`` after ``error``, or None when the call should give up.

        A rate-limited error with a Retry-After waits at least that long (never less), unless it
        exceeds ``max_retry_after_s``, in which case retrying now would be pointless.
        """
        if not error.retryable or retry_number >= self.max_attempts:
            return None
        jittered = self.backoff_delay(retry_number, rng)
        if isinstance(error, UpstreamRateLimited) and error.retry_after_s is not None:
            if error.retry_after_s > self.max_retry_after_s:
                return None
            return max(error.retry_after_s, jittered)
        return jittered
