"""Resilience in one place: typed upstream errors, retry timing, circuit breakers, failure policies,
and coalescing of identical upstream calls (``flux.resilience.coalesce``).

Every provider calls its upstream through an :class:`UpstreamPolicy`; every Kafka consumer
(services, BFF, registry storage) classifies a failed record with :func:`is_transient` and bounds
its retries with a :class:`RecordFailurePolicy`. Nothing else in Flux implements its own retry
loop or breaker.
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
from flux.resilience.failures import RecordFailurePolicy, is_transient
from flux.resilience.policy import UpstreamPolicy
from flux.resilience.retry import RetryPolicy

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "RecordFailurePolicy",
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
    "is_transient",
]
