"""Two BFF instances behind the stack's nginx: clients spread, one instance is SIGKILLed, its clients move.

The stack is the real one `flux dev up` runs (Kafka, registry, Valkey, the BFF
instances, nginx), started by :class:`DevStack` with ``FLUX_BFF_INSTANCES=2``
semantics on ephemeral ports; events come from a real producer through the
registry serde.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import socketio

from flux.bff.instance import INSTANCE_HEADER, instance_of
from flux.devstack.balancer import find_nginx
from flux.devstack.stack import DevStack, RunningStack, StackPorts, default_jars_cache
from flux.settings import LogFormat, Settings
from tests.integration.bff.bff_stack_harness import EventProducer, coins_event, news_event

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(find_nginx() is None, reason="nginx not installed (apt-get install nginx)"),
]

CLIENTS = 8
RECONNECT_BOUND_S = 10.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = DevStack(
        Settings(log_format=LogFormat.JSON, kafka_heap="512m"),
        home=tmp_path_factory.mktemp("flux-cluster"),
        ports=StackPorts.ephemeral(bff_instances=2),
        jars_cache=default_jars_cache(Settings()),
        with_services=False,
        tethered=True,
    )
    running = stack.up()
    try:
        yield running
    finally:
        stack.down()


@dataclass
class User:
    """A Socket.IO client that resubscribes after every (re)connect, like ``flux.client.FluxClient``."""

    client: socketio.AsyncClient
    transports: list[str]
    sessions: list[tuple[float, str | None]] = field(default_factory=list)  # (time, instance)
    received: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def instance(self) -> str | None:
        return self.sessions[-1][1] if self.sessions else None

    def snapshot_ids(self, event: str, since: float = 0.0) -> list[str]:
        return [data["snapshotId"] for at, name, data in self.received if name == event and at >= since]

    async def wait_for(self, event: str, snapshot_id: str, since: float = 0.0, timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while snapshot_id not in self.snapshot_ids(event, since):
                await asyncio.sleep(0.02)


async def _user(url: str, transports: list[str]) -> User:
    client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
    user = User(client, transports)

    async def resubscribe() -> None:
        for channel in ("news.global", "crypto.global"):
            ack = await client.call("subscribe", {"channel": channel}, timeout=10)
            assert ack["ok"], ack

    @client.event
    async def connect() -> None:
        user.sessions.append((time.monotonic(), instance_of(client.get_sid() or "")))
        task = asyncio.create_task(resubscribe())
        user.tasks.add(task)
        task.add_done_callback(user.tasks.discard)

    @client.on("*")
    async def any_event(event: str, data: Any) -> None:
        user.received.append((time.monotonic(), event, data))

    await client.connect(url, transports=transports, wait_timeout=10)
    return user


@pytest.fixture
async def users(cluster: RunningStack) -> AsyncIterator[list[User]]:
    assert cluster.bff_url is not None
    # Half stay on long-polling (every request of theirs must reach the same instance), half upgrade.
    made = [
        await _user(cluster.bff_url, ["polling"] if i % 2 == 0 else ["polling", "websocket"])
        for i in range(CLIENTS)
    ]
    yield made
    # Together: a polling client's disconnect waits for its pending long-poll to return.
    await asyncio.gather(*(user.client.disconnect() for user in made))


async def test_clients_spread_and_a_killed_instances_clients_move_to_the_survivor(
    cluster: RunningStack, users: list[User]
) -> None:
    producer = EventProducer(cluster)
    try:
        await _run(cluster, users, producer)
    finally:
        await producer.close()


async def _run(cluster: RunningStack, users: list[User], producer: EventProducer) -> None:
    before = news_event(f"before-{uuid.uuid4().hex[:6]}")
    coins = coins_event(str(50_000 + uuid.uuid4().int % 1000))
    await producer.send(before)
    await producer.send(coins)
    for user in users:  # subscribed: hydrated or live, each gets the latest of both
        await user.wait_for("news", before.snapshot_hash)
        await user.wait_for("crypto:topcoins", coins.snapshot_hash)

    by_instance = {name: [u for u in users if u.instance == name] for name in cluster.bff_instances}
    assert all(by_instance.values()), {name: len(members) for name, members in by_instance.items()}
    await _assert_instances_reachable_directly(cluster, by_instance)

    victim, survivor = sorted(by_instance, key=lambda name: -len(by_instance[name]))
    moved = by_instance[victim]
    killed_at = time.monotonic()
    cluster.bff_instances[victim].kill()  # SIGKILL: no goodbye to anyone

    during = news_event(f"during-{uuid.uuid4().hex[:6]}")  # published while its clients are away
    await producer.send(during)
    async with asyncio.timeout(RECONNECT_BOUND_S + 5):
        while not all(len(u.sessions) >= 2 for u in moved):
            await asyncio.sleep(0.05)
    delays = [u.sessions[1][0] - killed_at for u in moved]
    print("reconnect delays", [round(d, 2) for d in delays])
    assert max(delays) < RECONNECT_BOUND_S, delays
    assert {u.instance for u in moved} == {survivor}
    for user in moved:
        since = user.sessions[1][0]
        # Hydration on the survivor at once: the latest snapshots, including the one missed away.
        await user.wait_for("news", during.snapshot_hash, timeout=5)
        await user.wait_for("crypto:topcoins", coins.snapshot_hash, since=since, timeout=5)
    for user in by_instance[survivor]:
        assert len(user.sessions) == 1  # untouched
        await user.wait_for("news", during.snapshot_hash)

    after = news_event(f"after-{uuid.uuid4().hex[:6]}")
    await producer.send(after)
    for user in users:  # live updates keep flowing to everyone, moved or not
        await user.wait_for("news", after.snapshot_hash)
    assert await _connections(cluster, survivor) == len(users)
    assert cluster.balancer is not None and cluster.balancer.status().ready


async def _assert_instances_reachable_directly(
    cluster: RunningStack, by_instance: dict[str, list[User]]
) -> None:
    async with aiohttp.ClientSession() as http:
        for name, instance in cluster.bff_instances.items():
            for path in ("/health", "/ready"):
                async with http.get(instance.url + path) as response:
                    assert response.status == 200 and (await response.json())["instance"] == name
                    assert response.headers[INSTANCE_HEADER] == name
            assert await _connections(cluster, name) == len(by_instance[name])
        async with http.get(str(cluster.bff_url) + "/health") as response:
            assert response.status == 200 and response.headers[INSTANCE_HEADER] in cluster.bff_instances


async def _connections(cluster: RunningStack, name: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(cluster.bff_instances[name].url + "/metrics") as r:
        text = await r.text()
    [line] = [line for line in text.splitlines() if line.startswith("flux_bff_connections ")]
    return int(float(line.split()[1]))


def test_the_stack_lists_the_balancer_and_both_instances(cluster: RunningStack) -> None:
    assert set(cluster.bff_instances) == {"bff-1", "bff-2"}
    assert cluster.balancer is not None
    assert cluster.bff_url == cluster.balancer.url
    assert cluster.balancer.conf_path.is_file() and cluster.balancer.access_log.is_file()
