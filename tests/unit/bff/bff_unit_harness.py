"""An in-process BFF with the Kafka adapters replaced by recorders (unit level: no stack)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
from aiohttp import web

from flux.bff.app import BffApp
from flux.bff.commands import Command, CommandUnavailable
from flux.bff.config import BffSettings
from flux.bff.snapshot import Snapshot
from flux.settings import Settings


class RecordingCommands:
    def __init__(self) -> None:
        self.sent: list[Command] = []
        self.fail = False

    async def send(self, command: Command) -> None:
        if self.fail:
            raise CommandUnavailable("kafka is down")
        self.sent.append(command)


class ManualEvents:
    ready = True

    def __init__(self) -> None:
        self.publish: Callable[[Snapshot], Awaitable[bool]] | None = None

    async def start(self, publish: Callable[[Snapshot], Awaitable[bool]]) -> None:
        self.publish = publish

    async def stop(self) -> None:
        self.publish = None


@dataclass
class RunningBff:
    app: BffApp
    url: str
    commands: RecordingCommands
    events: ManualEvents

    async def publish(self, snapshot: Snapshot) -> bool:
        assert self.events.publish is not None
        return await self.events.publish(snapshot)


@dataclass
class Recorder:
    """A Socket.IO client that records every server event in order."""

    client: socketio.AsyncClient
    received: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.received if name == event]

    async def wait_for(self, event: str, count: int = 1, timeout: float = 3.0) -> list[Any]:
        async with asyncio.timeout(timeout):
            while len(self.of(event)) < count:
                await asyncio.sleep(0.01)
        return self.of(event)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_bff(bff_settings: BffSettings) -> tuple[RunningBff, web.AppRunner]:
    commands, events = RecordingCommands(), ManualEvents()
    app = BffApp(Settings(valkey_url=""), bff_settings, commands=commands, events=events)
    runner = web.AppRunner(app.web)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return RunningBff(app, f"http://127.0.0.1:{port}", commands, events), runner


@pytest.fixture
async def bff() -> AsyncIterator[RunningBff]:
    running, runner = await start_bff(
        BffSettings(
            refresh_coalesce_seconds=30,
            max_message_bytes=4096,
            ping_interval_seconds=1,
            ping_timeout_seconds=2,
        )
    )
    yield running
    await runner.cleanup()


@pytest.fixture
async def connect(bff: RunningBff) -> AsyncIterator[Callable[..., Awaitable[Recorder]]]:
    clients: list[socketio.AsyncClient] = []

    async def make(auth: Any = None) -> Recorder:
        client = socketio.AsyncClient(reconnection=False)
        recorder = Recorder(client)

        @client.on("*")
        async def any_event(event: str, data: Any) -> None:
            recorder.received.append((event, data))

        await client.connect(bff.url, transports=["websocket"], auth=auth, wait_timeout=5)
        clients.append(client)
        return recorder

    yield make
    for client in clients:
        if client.connected:
            await client.disconnect()
