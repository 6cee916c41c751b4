"""fetch_bytes maps statuses and transport failures to the UpstreamError family and bounds sizes."""

from datetime import UTC, datetime

import httpx
import pytest

from flux.resilience import (
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamConnectionError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
)
from flux.services.upstream_http import fetch_bytes, parse_retry_after


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Sun, 22 Nov 2026 10:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def client_for(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler)


async def test_status_mapping() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        status = int(request.url.path.strip("/"))
        headers = {"Retry-After": "3"} if status == 429 else {}
        return httpx.Response(status, headers=headers, content=b"{}")

    async with client_for(httpx.MockTransport(handler)) as client:
        assert await fetch_bytes(client, "up", "http://x/200") == b"{}"
        with pytest.raises(UpstreamRateLimited) as info:
            await fetch_bytes(client, "up", "http://x/429")
        assert info.value.retry_after_s == 3.0
        with pytest.raises(UpstreamServerError) as server:
            await fetch_bytes(client, "up", "http://x/502")
        assert server.value.status == 502
        with pytest.raises(UpstreamClientError):
            await fetch_bytes(client, "up", "http://x/404")
        with pytest.raises(UpstreamClientError):
            await fetch_bytes(client, "up", "http://x/304")


async def test_oversized_bodies_are_rejected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 2048)

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(UpstreamBadPayload, match="exceeds"):
            await fetch_bytes(client, "up", "http://x/", max_bytes=1024)
        assert len(await fetch_bytes(client, "up", "http://x/", max_bytes=4096)) == 2048


async def test_transport_failures_are_typed() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client_for(httpx.MockTransport(timeout)) as client:
        with pytest.raises(UpstreamTimeout):
            await fetch_bytes(client, "up", "http://x/")
    async with client_for(httpx.MockTransport(refused)) as client:
        with pytest.raises(UpstreamConnectionError):
            await fetch_bytes(client, "up", "http://x/")


async def test_undecodable_body_is_a_bad_payload() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all")

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(UpstreamBadPayload, match="Content-Encoding"):
            await fetch_bytes(client, "up", "http://x/")


async def test_redirect_loop_is_a_bad_payload() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://x/again"})

    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport, follow_redirects=True, max_redirects=2) as client:
        with pytest.raises(UpstreamBadPayload, match="redirects"):
            await fetch_bytes(client, "up", "http://x/")
