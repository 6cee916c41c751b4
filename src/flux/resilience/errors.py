"""The typed family of upstream failures every provider raises, and how resilience treats each one.

Example:
    >>> err = UpstreamRateLimited("coingecko", "slow down", retry_after_s=2.0)
    >>> err.retryable, err.retry_after_s
    (True, 2.0)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "UpstreamBadPayload",
    "UpstreamClientError",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamServerError",
    "UpstreamTimeout",
    "UpstreamTruncated",
    "UpstreamUnavailable",
]


class UpstreamError(Exception):
    """Base class of every failure talking to an external data provider.

    Attributes:
        upstream: Short name of the upstream (``"open-meteo"``, ``"coinbase"``...).
        retryable: Whether trying the same call again may succeed.
        trips_breaker: Whether the failure counts against the upstream's circuit breaker.
    """

    retryable: ClassVar[bool] = False
    trips_breaker: ClassVar[bool] = True

    def __init__(self, upstream: str, message: str) -> None:
        super().__init__(f"{upstream}: {message}")
        self.upstream = upstream
        self.message = message


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer within the time allowed."""

    retryable = True


class UpstreamConnectionError(UpstreamError):
    """The connection could not be made or was lost before a response."""

    retryable = True


class UpstreamRateLimited(UpstreamError):
    """The upstream refused the call for rate limiting (HTTP 429 or its own quota message)."""

    retryable = True

    def __init__(self, upstream: str, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(upstream, message)
        self.retry_after_s = retry_after_s


class UpstreamServerError(UpstreamError):
    """The upstream answered with a 5xx status."""

    retryable = True

    def __init__(self, upstream: str, message: str, *, status: int) -> None:
        super().__init__(upstream, message)
        self.status = status


class UpstreamClientError(UpstreamError):
    """The upstream rejected the request itself (4xx other than 429): retrying cannot help."""

    trips_breaker = False

    def __init__(self, upstream: str, message: str, *, status: int) -> None:
        super().__init__(upstream, message)
        self.status = status


class UpstreamBadPayload(UpstreamError):
    """The response arrived but is not what the provider documents (syntax, types, ranges, size)."""


class UpstreamTruncated(UpstreamBadPayload):
    """The response body ended before its announced length: a transport fault worth a retry."""

    retryable = True


class UpstreamUnavailable(UpstreamError):
    """The circuit breaker of this upstream is open: the call was not attempted."""

    trips_breaker = False

    def __init__(self, upstream: str, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(upstream, message)
        self.retry_after_s = retry_after_s
