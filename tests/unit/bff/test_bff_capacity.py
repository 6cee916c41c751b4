"""Capacity limits and instance identity: per-address and per-instance limits, readiness, trusted proxies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
import websockets

from flux.bff.admission import ConnectionAdmission, Refusal
from flux.bff.config import BffSettings
from flux.bff.instance import INSTANCE_HEADER, instance_of
from tests.unit.bff.bff_unit_harness import RunningBff, start_bff


class _Peer:
    def __init__(self, remote: str) -> None:
        self.remote = remote


def _environ(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    environ: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1", "aiohttp.request": _Peer(peer)}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    return environ


def test_admission_counts_per_address_and_per_instance() -> None:
    admission = ConnectionAdmission(max_connections=3, max_per_address=2)
    assert admission.admit("a1", "192.0.2.1") is None
    assert admission.admit("a2", "192.0.2.1") is None
    assert admission.admit("a3", "192.0.2.1") is Refusal.TOO_MANY_FROM_ADDRESS
    assert admission.admit("b1", "192.0.2.2") is None
    assert admission.admit("c1", "192.0.2.3") is Refusal.SERVER_FULL
    assert admission.connections == 3 and admission.from_address("192.0.2.1") == 2
    admission.release("a1")
    admission.release("a1")  # twice: no effect
    admission.release("never-admitted")
    assert admission.from_address("192.0.2.1") == 1
    assert admission.admit("a4", "192.0.2.1") is None
    for sid in ("a2", "a4", "b1"):
        admission.release(sid)
    assert admission.connections == 0 and admission.from_address("192.0.2.1") == 0


def test_exempt_addresses_have_no_per_address_limit_but_count_towards_the_total() -> None:
    admission = ConnectionAdmission(max_connections=3, max_per_address=1, exempt=["127.0.0.0/8"])
    assert [admission.admit(f"s{i}", "127.0.0.1") for i in range(3)] == [None, None, None]
    assert admission.admit("s3", "127.0.0.1") is Refusal.SERVER_FULL


def test_readiness_headroom_turns_off_above_the_fraction_and_back_on_below() -> None:
    admission = ConnectionAdmission(max_connections=10, max_per_address=10, ready_fraction=0.9)
    for i in range(9):
        admission.admit(f"s{i}", "192.0.2.1")
    assert admission.has_headroom
    admission.admit("s9", "192.0.2.1")
    assert not admission.has_headroom
    admission.release("s9")
    assert admission.has_headroom


def test_client_address_believes_forwarded_for_only_from_a_trusted_peer() -> None:
    admission = ConnectionAdmission(max_connections=1, max_per_address=1, trusted_proxies=["10.0.0.0/8"])
    # Engine.IO's aiohttp driver writes REMOTE_ADDR=127.0.0.1 for everyone; the peer is the truth.
    assert admission.client_address(_environ("198.51.100.9")) == "198.51.100.9"
    assert admission.client_address(_environ("198.51.100.9", "203.0.113.5")) == "198.51.100.9"
    assert admission.client_address(_environ("10.1.2.3", "203.0.113.5")) == "203.0.113.5"
    # One hop only: what the client wrote left of the proxy's entry is ignored.
    assert admission.client_address(_environ("10.1.2.3", "1.2.3.4, 203.0.113.5")) == "203.0.113.5"
    assert admission.client_address(_environ("10.1.2.3", "not-an-address")) == "10.1.2.3"
    assert admission.client_address(_environ("10.1.2.3")) == "10.1.2.3"
    assert admission.client_address({"REMOTE_ADDR": "192.0.2.8"}) == "192.0.2.8"


@contextlib.asynccontextmanager
async def _bff(**settings: Any) -> AsyncIterator[RunningBff]:
    running, runner = await start_bff(BffSettings(**settings))
    try:
        yield running
    finally:
        await runner.cleanup()


async def _connect(url: str, headers: dict[str, str] | None = None) -> tuple[socketio.AsyncClient, Any]:
    """Connect; returns the client and the connect_error data (None when connected)."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await client.connect(url, transports=["websocket"], headers=headers or {}, wait_timeout=5)
    return client, (errors[0] if errors else None)


async def _metrics(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as response:
        return await response.text()


async def _ready(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url + "/ready") as response:
        return response.status, await response.json()


async def test_past_the_per_address_limit_a_client_gets_a_clear_connect_error() -> None:
    async with _bff(max_connections_per_address=2, address_limit_exempt=[]) as bff:
        first, _ = await _connect(bff.url)
        second, _ = await _connect(bff.url)
        third, error = await _connect(bff.url)
        assert first.connected and second.connected and not third.connected
        assert error == {"message": "too_many_connections_from_address"}
        assert 'flux_bff_refused_connects_total{reason="too_many_connections_from_address"} 1.0' in (
            await _metrics(bff.url)
        )
        await first.disconnect()
        again, error = await _connect(bff.url)  # a freed slot is usable again
        assert again.connected and error is None
        for client in (second, again):
            await client.disconnect()


async def test_a_full_instance_refuses_with_server_full_and_is_unready_near_the_limit() -> None:
    async with _bff(max_connections=4, ready_max_fraction=0.5) as bff:
        clients = [(await _connect(bff.url))[0] for _ in range(3)]
        status, body = await _ready(bff.url)
        assert status == 503 and body["checks"]["capacity"] is False
        clients.append((await _connect(bff.url))[0])
        refused, error = await _connect(bff.url)
        assert not refused.connected and error == {"message": "server_full"}
        for client in clients[:2]:
            await client.disconnect()
        await asyncio.sleep(0.2)
        status, body = await _ready(bff.url)
        assert status == 200 and body["checks"]["capacity"] is True
        for client in clients[2:]:
            await client.disconnect()


async def test_forwarded_for_counts_per_client_behind_a_trusted_proxy_only() -> None:
    async with _bff(
        max_connections_per_address=1, address_limit_exempt=[], trusted_proxies=["127.0.0.1"]
    ) as bff:
        a, _ = await _connect(bff.url, {"X-Forwarded-For": "203.0.113.1"})
        b, _ = await _connect(bff.url, {"X-Forwarded-For": "203.0.113.2"})
        a2, error = await _connect(bff.url, {"X-Forwarded-For": "203.0.113.1"})
        assert a.connected and b.connected and not a2.connected
        assert error == {"message": "too_many_connections_from_address"}
        for client in (a, b):
            await client.disconnect()
    async with _bff(max_connections_per_address=1, address_limit_exempt=[]) as bff:
        a, _ = await _connect(bff.url, {"X-Forwarded-For": "203.0.113.1"})
        spoofed, error = await _connect(bff.url, {"X-Forwarded-For": "203.0.113.2"})
        assert a.connected and not spoofed.connected  # untrusted peer: its header is ignored
        await a.disconnect()


async def _read_until_closed(raw: Any) -> None:
    async with asyncio.timeout(5):
        while True:
            await raw.recv()


async def test_a_refused_client_that_stays_is_closed_by_the_server() -> None:
    async with _bff(max_connections=1) as bff:
        kept, _ = await _connect(bff.url)
        uri = bff.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(uri) as raw:
            assert str(await raw.recv()).startswith("0")  # Engine.IO open
            await raw.send("40")  # Socket.IO connect, then never leave on our own
            reply = str(await raw.recv())
            assert reply.startswith("44") and json.loads(reply[2:]) == {"message": "server_full"}
            with pytest.raises(websockets.ConnectionClosed):
                await _read_until_closed(raw)
        await kept.disconnect()


async def test_engine_sessions_beyond_the_limit_are_refused_at_the_handshake() -> None:
    async with _bff(max_connections=1) as bff, aiohttp.ClientSession() as http:
        handshake = bff.url + "/socket.io/?EIO=4&transport=polling"
        for _ in range(65):  # the limit plus the Engine.IO headroom (64 at least)
            async with http.get(handshake) as response:
                assert response.status == 200
        async with http.get(handshake) as response:
            assert response.status == 503 and (await response.json()) == {"message": "server_full"}
        assert 'flux_bff_refused_connects_total{reason="server_full"} 1.0' in await _metrics(bff.url)


async def test_a_named_instance_tags_session_ids_and_names_itself() -> None:
    async with _bff(instance_name="bff-7") as bff:
        client, _ = await _connect(bff.url)
        assert instance_of(client.get_sid()) == "bff-7"
        assert instance_of(client.eio.sid) == "bff-7"
        async with aiohttp.ClientSession() as http, http.get(bff.url + "/health") as response:
            assert response.headers[INSTANCE_HEADER] == "bff-7"
            assert (await response.json()) == {"status": "ok", "instance": "bff-7"}
        await client.disconnect()
    async with _bff() as bff:
        client, _ = await _connect(bff.url)
        assert instance_of(client.get_sid()) is None
        await client.disconnect()


def test_instance_names_must_fit_a_session_id() -> None:
    with pytest.raises(ValueError, match="instance_name"):
        BffSettings(instance_name="bff.1")
