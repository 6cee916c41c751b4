"""Upstream resilience in one place: typed errors, retry timing, circuit breakers, the call policy.

Every provider calls its upstream through an :class:`UpstreamPolicy`; nothing else in Flux
implements its own retry loop or breaker.
"""

from flux.resilience.breaker import BreakerState, CircuitBreaker
from flux.resilience.errors import (
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTruncated,
    UpstreamUnavailable,
)
from flux.resilience.policy import UpstreamPolicy
from flux.resilience.retry import RetryPolicy

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "RetryPolicy",
    "UpstreamBadPayload",
    "UpstreamClientError",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamPolicy",
    "UpstreamRateLimited",
    "UpstreamServerError",
    "UpstreamTimeout",
    "UpstreamTruncated",
    "UpstreamUnavailable",
]
