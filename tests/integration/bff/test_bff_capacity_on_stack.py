"""A client opening thousands of idle connections: refused past its per-address limit, others unharmed.

The BFF runs as its own `flux bff` process on the real stack, so its resident
memory is its own. The flood comes from 127.0.0.2 (loopback, a separate
address to the BFF); the other users from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest
import socketio
import websockets

from flux.devstack.stack import RunningStack
from tests.integration.bff.bff_stack_harness import REPO, EventProducer, free_port, ticker_batch

pytestmark = pytest.mark.integration

FLOOD_ADDRESS = "127.0.0.2"
FLOOD_CONNECTIONS = 2_000
PER_ADDRESS = 50
OPEN_AT_ONCE = 100
RSS_BOUND_MIB = 150  # generous: the accepted 50 and the refused ones in flight cost a few MiB
OTHER_USERS = 3


@dataclass
class Bff:
    url: str
    process: subprocess.Popen[bytes]

    def rss_mib(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20


@pytest.fixture
async def bff_process(stack: RunningStack, registered_schemas: None, tmp_path: Path) -> AsyncIterator[Bff]:
    port = free_port()
    env = {
        **os.environ,
        "FLUX_KAFKA_BOOTSTRAP": stack.settings.kafka_bootstrap,
        "FLUX_REGISTRY_URL": stack.settings.registry_url,
        "FLUX_VALKEY_URL": stack.settings.valkey_url,
        "FLUX_LOG_LEVEL": "WARNING",
        "FLUX_BFF_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        "FLUX_BFF_ADDRESS_LIMIT_EXEMPT": "[]",
    }
    log = tmp_path / "bff.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "flux", "bff", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    bff = Bff(f"http://127.0.0.1:{port}", process)
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(60):
            while True:
                assert process.poll() is None, log.read_text()[-2000:]
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(bff.url + "/ready") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.2)
        yield bff
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Flood:
    accepted: list[Any] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    closed_by_server: int = 0
    sockets: list[Any] = field(default_factory=list)


async def _idle_connection(uri: str, flood: Flood) -> None:
    """Engine.IO + Socket.IO connect over a raw WebSocket, then sit there and never leave."""
    ws = await websockets.connect(uri, local_addr=(FLOOD_ADDRESS, 0), open_timeout=30)
    flood.sockets.append(ws)
    assert str(await ws.recv()).startswith("0")
    await ws.send("40")
    reply = str(await ws.recv())
    if reply.startswith("40"):
        flood.accepted.append(ws)
    else:
        assert reply.startswith("44"), reply
        flood.refusals.append(json.loads(reply[2:])["message"])


async def _watch_closed(ws: Any, flood: Flood) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(15):
            while True:
                await ws.recv()  # Engine.IO pings; a refused socket ends here when the server cuts it
    if ws.close_code is not None:
        flood.closed_by_server += 1


async def _user(url: str, received: list[float]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)

    @client.on("crypto:ticker")
    async def ticker(_: Any) -> None:
        received.append(time.monotonic())

    await client.connect(url, transports=["websocket"], wait_timeout=10)
    assert (await client.call("subscribe", {"channel": "crypto.global"}))["ok"]
    return client


async def test_thousands_of_idle_connections_from_one_address_are_refused_and_memory_stays_bounded(
    bff_process: Bff, producer: EventProducer
) -> None:
    receipts: list[list[float]] = [[] for _ in range(OTHER_USERS)]
    users = [await _user(bff_process.url, receipts[i]) for i in range(OTHER_USERS)]
    baseline_mib = bff_process.rss_mib()
    peak_mib = baseline_mib
    sending = True

    async def tick() -> int:
        sequence = 0
        while sending:
            sequence += 1
            await producer.send(ticker_batch(sequence, f"{60_000 + sequence}.00"))
            await asyncio.sleep(0.1)
        return sequence

    ticker_task = asyncio.create_task(tick())
    started = time.monotonic()
    flood = Flood()
    uri = bff_process.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        for _ in range(FLOOD_CONNECTIONS // OPEN_AT_ONCE):
            await asyncio.gather(*(_idle_connection(uri, flood) for _wave in range(OPEN_AT_ONCE)))
            peak_mib = max(peak_mib, bff_process.rss_mib())
        watchers = [_watch_closed(ws, flood) for ws in flood.sockets if ws not in flood.accepted]
        await asyncio.gather(*watchers)
        peak_mib = max(peak_mib, bff_process.rss_mib())
        flood_s = time.monotonic() - started
        await asyncio.sleep(1.0)
    finally:
        sending = False
        sent = await ticker_task
        for ws in flood.sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        for user in users:
            await user.disconnect()

    assert len(flood.accepted) == PER_ADDRESS
    assert len(flood.refusals) == FLOOD_CONNECTIONS - PER_ADDRESS
    assert set(flood.refusals) == {"too_many_connections_from_address"}
    assert flood.closed_by_server == len(flood.refusals)  # refused sockets do not linger
    async with aiohttp.ClientSession() as http, http.get(bff_process.url + "/metrics") as response:
        metrics = await response.text()
    refused = FLOOD_CONNECTIONS - PER_ADDRESS
    assert (
        f'flux_bff_refused_connects_total{{reason="too_many_connections_from_address"}} {refused}.0'
        in metrics
    )

    print(
        f"flood {FLOOD_CONNECTIONS} connections in {flood_s:.1f}s; BFF RSS {baseline_mib:.0f} → "
        f"peak {peak_mib:.0f} MiB; ticker batches sent {sent}, received {[len(r) for r in receipts]}"
    )
    assert peak_mib - baseline_mib < RSS_BOUND_MIB
    for got in receipts:  # the other users kept receiving the whole time
        during = [at for at in got if at >= started]
        assert len(during) >= sent // 3, (len(during), sent)
        gaps = [b - a for a, b in zip([started, *during], during, strict=False)]
        assert max(gaps) < 3.0, max(gaps)
