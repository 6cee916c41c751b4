"""Prepared-frame fan-out (ADR-017): frame encoding, mixed transports and the slow-client policy.

The BFF runs in-process on a real aiohttp server; clients are python-socketio
(websocket and polling transports) and a ``websockets`` client that stops
reading, so its TCP buffers really fill up.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
import websockets
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from flux.bff import fanout
from flux.bff.config import BffSettings
from flux.bff.snapshot import Snapshot, Stream, now_ms
from flux.bff.websocket_direct import text_frame
from tests.unit.bff.bff_unit_harness import Recorder, RunningBff, start_bff


def parse(frame: bytes) -> Frame:
    """Parse one server frame with the ``websockets`` library's own RFC 6455 parser."""
    reader = StreamReader()
    reader.feed_data(frame)
    parser = Frame.parse(reader.read_exact, mask=False, max_size=None)
    try:
        while True:
            next(parser)
    except StopIteration as done:
        parsed: Frame = done.value
    assert not reader.buffer, "bytes left over after the frame"
    return parsed


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_text_frames_of_every_length_class_parse_back(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)  # multi-byte characters: length is in bytes
    frame = parse(text_frame(text))
    assert frame.opcode is Opcode.TEXT
    assert frame.fin
    assert frame.data.decode() == text


def ticker(n: int, padding: int = 0) -> Snapshot:
    return Snapshot(Stream.TICKER, "global", f"t-{n}", now_ms(), {"n": n, "pad": "p" * padding})


def news(n: int, padding: int = 0) -> Snapshot:
    return Snapshot(
        Stream.NEWS, "global", f"n-{n}-{uuid.uuid4().hex}", now_ms(), {"n": n, "pad": "p" * padding}
    )


async def recorder(url: str, transport: str, channels: tuple[str, ...]) -> Recorder:
    client = socketio.AsyncClient(reconnection=False)
    rec = Recorder(client)

    @client.on("*")
    async def any_event(event: str, data: Any) -> None:
        rec.received.append((event, data))

    await client.connect(url, transports=[transport], wait_timeout=5)
    for channel in channels:
        assert (await client.call("subscribe", {"channel": channel}))["ok"] is True
    return rec


@pytest.fixture
async def quiet_bff() -> AsyncIterator[RunningBff]:
    """A BFF with long heartbeats (a stalled client is judged by the fan-out, not by ping timeouts)."""
    running, runner = await start_bff(
        BffSettings(
            ping_interval_seconds=60,
            ping_timeout_seconds=60,
            ticker_buffer_bytes=0,
            client_buffer_bytes=4096,
        )
    )
    yield running
    await runner.cleanup()


@pytest.fixture
async def roomy_bff() -> AsyncIterator[RunningBff]:
    """A BFF whose polling clients may queue every ticker batch of a test (no drop-to-latest)."""
    running, runner = await start_bff(
        BffSettings(ping_interval_seconds=1, ping_timeout_seconds=2, ticker_queue_limit=64)
    )
    yield running
    await runner.cleanup()


async def test_websocket_clients_outlive_many_heartbeats_idle_or_busy() -> None:
    """Engine.IO's writer closes a websocket whose send queue is silent for ping_interval + ping_timeout.

    Every message of a websocket client is written directly, so only the heartbeat passes through
    the queue; a direct ping once cut every client off after exactly interval + timeout (40 s with
    the defaults). Here that span is 2 s (Engine.IO announces whole seconds) and the clients stay
    5 s: one idle, one receiving updates.
    """
    running, runner = await start_bff(BffSettings(ping_interval_seconds=1, ping_timeout_seconds=1))
    drops: list[str] = []
    try:
        idle = await recorder(running.url, "websocket", ())
        busy = await recorder(running.url, "websocket", ("news.global",))
        for rec in (idle, busy):
            rec.client.on("disconnect", lambda *reason: drops.append(str(reason)))
        for n in range(50):
            await running.publish(news(n))
            await asyncio.sleep(0.1)
        await busy.wait_for("news", 50, timeout=5)
        assert drops == []
        assert idle.client.connected and busy.client.connected
        assert (await idle.client.call("subscribe", {"channel": "news.global"}, timeout=5))["ok"] is True
    finally:
        for rec in (idle, busy):
            await rec.client.disconnect()
        await runner.cleanup()


async def test_websocket_and_polling_clients_receive_the_same_updates_in_order(roomy_bff: RunningBff) -> None:
    websocket = await recorder(roomy_bff.url, "websocket", ("crypto.global", "news.global"))
    polling = await recorder(roomy_bff.url, "polling", ("crypto.global", "news.global"))
    try:
        for n in range(30):  # more than one poll batch (POLL_BATCH_LIMIT) queued at once
            await roomy_bff.publish(ticker(n) if n % 3 else news(n))
        for rec in (websocket, polling):
            await rec.wait_for("crypto:ticker", 20, timeout=5)
            await rec.wait_for("news", 10, timeout=5)
            assert [data["data"]["n"] for _, data in rec.received] == list(range(30))
    finally:
        await websocket.client.disconnect()
        await polling.client.disconnect()


async def test_hydration_and_live_updates_keep_their_order_per_client(roomy_bff: RunningBff) -> None:
    await roomy_bff.publish(news(0))
    rec = await recorder(roomy_bff.url, "websocket", ())
    try:
        subscribing = asyncio.create_task(rec.client.call("subscribe", {"channel": "news.global"}))
        for n in range(1, 20):
            await roomy_bff.publish(news(n))
            await asyncio.sleep(0)
        assert (await subscribing)["ok"] is True
        await rec.wait_for("news", 2, timeout=5)
        await asyncio.sleep(0.2)
        numbers = [data["data"]["n"] for data in rec.of("news")]
        assert numbers == sorted(numbers), "a client saw an older snapshot after a newer one"
        assert numbers[-1] == 19
    finally:
        await rec.client.disconnect()


async def stalled_client(url: str) -> websockets.ClientConnection:
    """An Engine.IO/Socket.IO client subscribed to tickers and news that then stops reading."""
    ws = await websockets.connect(
        url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
        compression=None,
        max_queue=1,  # once one frame is waiting, the library stops reading the socket
        close_timeout=0.5,
        max_size=None,
    )
    assert str(await ws.recv()).startswith("0")
    await ws.send("40")
    assert str(await ws.recv()).startswith("40")
    await ws.send('421["subscribe",{"channel":"crypto.global"}]')
    await ws.send('422["subscribe",{"channel":"news.global"}]')
    acks = [json.loads(str(await ws.recv())[3:]) for _ in range(2)]
    assert all(ack[0]["ok"] for ack in acks)
    return ws


async def test_a_stalled_client_skips_tickers_then_is_cut_off_while_others_get_everything(
    quiet_bff: RunningBff,
) -> None:
    metrics = quiet_bff.app.metrics
    healthy = await recorder(quiet_bff.url, "websocket", ("crypto.global", "news.global"))
    stalled = await stalled_client(quiet_bff.url)
    try:
        assert len(quiet_bff.app.gateway.connections) == 2
        sent = 0
        async with asyncio.timeout(30):
            while metrics.slow_client_drops._value.get() == 0:  # kernel buffers fill first
                await quiet_bff.publish(ticker(sent, padding=32_768))
                sent += 1
                await asyncio.sleep(0.002)  # let the healthy client read
        assert metrics.slow_client_disconnects._value.get() == 0, "tickers never cut a client off"
        await healthy.wait_for("crypto:ticker", sent, timeout=10)
        assert [d["data"]["n"] for d in healthy.of("crypto:ticker")] == list(range(sent))

        await quiet_bff.publish(news(0, padding=32_768))  # a snapshot the stalled client cannot take
        async with asyncio.timeout(10):
            while len(quiet_bff.app.gateway.connections) > 1:
                await asyncio.sleep(0.01)
        assert metrics.slow_client_disconnects._value.get() == 1
        assert healthy.client.connected
        await quiet_bff.publish(news(1))
        assert [d["data"]["n"] for d in await healthy.wait_for("news", 2)] == [0, 1]
    finally:
        await healthy.client.disconnect()
        await stalled.close()


async def test_the_bff_app_serves_websocket_clients_through_prepared_frames(quiet_bff: RunningBff) -> None:
    rec = await recorder(quiet_bff.url, "websocket", ("news.global",))
    try:
        engine = quiet_bff.app.sio.eio
        assert len(engine.direct_sockets) == 1, "the websocket connection is registered for direct writes"
        await quiet_bff.publish(news(7))
        assert (await rec.wait_for("news"))[0]["data"]["n"] == 7
    finally:
        await rec.client.disconnect()
    async with asyncio.timeout(5):
        while quiet_bff.app.sio.eio.direct_sockets:
            await asyncio.sleep(0.01)


async def test_library_fanout_mode_delivers_the_same_updates_without_direct_writes() -> None:
    running, runner = await start_bff(
        BffSettings(fanout="library", ping_interval_seconds=1, ping_timeout_seconds=2, ticker_queue_limit=64)
    )
    try:
        rec = await recorder(running.url, "websocket", ("crypto.global", "news.global"))
        for n in range(30):
            await running.publish(ticker(n) if n % 3 else news(n))
        await rec.wait_for("crypto:ticker", 20, timeout=5)
        await rec.wait_for("news", 10, timeout=5)
        assert [data["data"]["n"] for _, data in rec.received] == list(range(30))
        assert running.app.sio.eio.direct_sockets == {}, "library mode writes through python-socketio only"
        await rec.client.disconnect()
    finally:
        await runner.cleanup()


async def test_a_large_room_emit_yields_to_the_loop_between_slices_and_keeps_order(
    roomy_bff: RunningBff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "EMIT_SLICE", 2)
    members = [await recorder(roomy_bff.url, "websocket", ("crypto.global",)) for _ in range(6)]
    members.append(await recorder(roomy_bff.url, "polling", ("crypto.global",)))
    try:
        turns = 0
        for n in range(5):
            publishing = asyncio.create_task(roomy_bff.publish(ticker(n)))
            while not publishing.done():  # other tasks get turns while the emit is under way
                turns += 1
                await asyncio.sleep(0)
            assert publishing.result() is True
        assert turns >= 5 * 3  # 7 members in slices of 2: at least 3 yields per emit
        for rec in members:
            await rec.wait_for("crypto:ticker", 5, timeout=5)
            assert [data["data"]["n"] for _, data in rec.received] == list(range(5))
    finally:
        for rec in members:
            await rec.client.disconnect()
