"""Bounded HTTP GETs that turn every transport and status failure into a typed upstream error.

Example:
    >>> parse_retry_after("12")
    12.0
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

from flux.resilience import (
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamConnectionError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamTruncated,
)

__all__ = ["DEFAULT_MAX_BYTES", "fetch_bytes", "parse_retry_after"]

LOG = logging.getLogger(__name__)

DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024
HTTP_TOO_MANY_REQUESTS: Final = 429
HTTP_SERVER_ERROR: Final = 500
HTTP_CLIENT_ERROR: Final = 400


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def fetch_bytes(
    client: httpx.AsyncClient,
    upstream: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """GET ``url`` and return the body of a 2xx response, at most ``max_bytes`` long.

    Raises:
        UpstreamTimeout: Connect/read timeout of the client.
        UpstreamConnectionError: The connection failed.
        UpstreamTruncated: The body ended before its announced length.
        UpstreamRateLimited: HTTP 429 (``retry_after_s`` from the header).
        UpstreamServerError: HTTP 5xx.
        UpstreamClientError: Any other non-2xx status.
        UpstreamBadPayload: The body is larger than ``max_bytes``, fails to decode, or redirects loop.
    """
    try:
        async with client.stream("GET", url, params=params, headers=headers) as response:
            _raise_for_status(upstream, response)
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise UpstreamBadPayload(upstream, f"response of {declared} bytes exceeds {max_bytes}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise UpstreamBadPayload(upstream, f"response exceeds {max_bytes} bytes")
            return bytes(body)
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(upstream, f"HTTP timeout ({type(exc).__name__})") from exc
    except httpx.RemoteProtocolError as exc:
        raise UpstreamTruncated(upstream, "connection closed before the complete response") from exc
    except httpx.TransportError as exc:
        raise UpstreamConnectionError(upstream, f"transport error ({type(exc).__name__})") from exc
    except httpx.DecodingError as exc:
        raise UpstreamBadPayload(upstream, "body does not decode with its Content-Encoding") from exc
    except httpx.TooManyRedirects as exc:
        raise UpstreamBadPayload(upstream, "too many redirects") from exc
    except httpx.RequestError as exc:
        raise UpstreamConnectionError(upstream, f"request failed ({type(exc).__name__})") from exc


def _raise_for_status(upstream: str, response: httpx.Response) -> None:
    status = response.status_code
    if status == HTTP_TOO_MANY_REQUESTS:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise UpstreamRateLimited(upstream, "HTTP 429", retry_after_s=retry_after)
    if status >= HTTP_SERVER_ERROR:
        raise UpstreamServerError(upstream, f"HTTP {status}", status=status)
    if status >= HTTP_CLIENT_ERROR or not 200 <= status < 300:
        raise UpstreamClientError(upstream, f"HTTP {status}", status=status)
