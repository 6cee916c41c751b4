"""Cluster pieces without Kafka: the leader record, where writes go, the client configs, dev-stack nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from flux.devstack.ports import free_port
from flux.devstack.registry_nodes import registry_nodes
from flux.kafka.config import election_config, log_reader_config, transactional_producer_config
from flux.registry.api.forwarding import FORWARDED_HEADER, POSITION_HEADER, WriteRouter
from flux.registry.core.errors import NotLeaderError, RegistryError
from flux.registry.core.records import decode_record
from flux.registry.core.state import RegistryState
from flux.registry.storage.election import LeaderInfo, decode_leader, encode_leader
from flux.registry.storage.kafka_log import KafkaRecordLog
from flux.registry.storage.leadership import Leadership, NodeIdentity
from flux.settings import Settings

CT = "application/vnd.schemaregistry.v1+json"


class FakeCluster:
    def __init__(self, *, leader: bool = False, url: str | None = None, establishing: bool = False) -> None:
        self.is_leader = leader
        self.url = url
        self.establishing = establishing
        self.position = 7
        self.waited_for: list[int] = []
        self.changes: list[float] = []

    def leader_url(self) -> str | None:
        return self.url

    def describe(self) -> dict[str, object]:
        return {"role": "leader" if self.is_leader else "follower"}

    async def wait_change(self, limit_s: float) -> None:
        self.changes.append(limit_s)
        await asyncio.sleep(min(limit_s, 0.01))

    async def wait_position(self, position: int, limit_s: float) -> None:
        self.waited_for.append(position)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def routed_app(router: WriteRouter, write: Handler) -> web.Application:
    """A registry-like app: the write route behind the routing middleware, errors as JSON."""

    @web.middleware
    async def route(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await router.route(request, handler)
        except RegistryError as exc:
            return web.json_response(exc.body(), status=exc.http_status)

    app = web.Application(middlewares=[route])
    app.router.add_post("/subjects/{subject}/versions", write)
    return app


def answering(body: dict[str, object], calls: list[str] | None = None) -> Handler:
    async def write(request: web.Request) -> web.StreamResponse:
        if calls is not None:
            calls.append(request.path)
        return web.json_response(body)

    return write


def test_the_leader_record_round_trips_and_is_not_a_state_record() -> None:
    info = LeaderInfo("node-1", "http://10.0.0.5:8081", 1234)
    key, value = encode_leader(info)
    assert decode_leader(key, value) == info
    assert decode_record(key, value) is None  # the state never sees it
    resign = LeaderInfo("node-1", None, 99)
    assert decode_leader(*encode_leader(resign)) == resign
    assert decode_leader(b'{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}', b"{}") is None
    assert decode_leader(key, b"not json") is None


async def test_the_leader_performs_writes_and_tells_its_log_position() -> None:
    router = WriteRouter(FakeCluster(leader=True), leader_wait_s=0.1)  # type: ignore[arg-type]
    app = routed_app(router, answering({"id": 1}))
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/subjects/a/versions", json={"schema": "{}"})
        assert answer.status == 200
        assert answer.headers[POSITION_HEADER] == "7"
        assert await answer.json() == {"id": 1}


async def test_without_a_leader_writes_wait_then_answer_50004() -> None:
    cluster = FakeCluster()
    router = WriteRouter(cluster, leader_wait_s=0.2)  # type: ignore[arg-type]
    calls: list[str] = []
    app = routed_app(router, answering({"id": 1}, calls))
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/subjects/a/versions", json={})
        assert (await answer.json())["error_code"] == 50004
        assert calls == []
        assert cluster.changes, "it waited for a leader before giving up"


async def test_an_unreachable_leader_answers_50003() -> None:
    router = WriteRouter(FakeCluster(url=f"http://127.0.0.1:{free_port()}"), leader_wait_s=0.2)  # type: ignore[arg-type]
    async with TestClient(TestServer(routed_app(router, answering({})))) as client:
        answer = await client.post("/subjects/a/versions", json={})
        assert answer.status == 500
        assert (await answer.json())["error_code"] == 50003
    await router.close()


async def test_a_forwarded_write_is_never_forwarded_again() -> None:
    cluster = FakeCluster(url="http://127.0.0.1:1")
    router = WriteRouter(cluster, leader_wait_s=5.0)  # type: ignore[arg-type]
    async with TestClient(TestServer(routed_app(router, answering({})))) as client:
        answer = await client.post("/subjects/a/versions", json={}, headers={FORWARDED_HEADER: "1"})
        assert (await answer.json())["error_code"] == 50004
        assert cluster.changes == [], "answered at once, without waiting"


async def test_followers_forward_unchanged_and_wait_for_the_leaders_position() -> None:
    seen: list[tuple[str, str | None, bytes]] = []

    async def leader_write(request: web.Request) -> web.Response:
        seen.append((request.path_qs, request.headers.get(FORWARDED_HEADER), await request.read()))
        return web.json_response(
            {"error_code": 409, "message": "no"}, status=409, headers={POSITION_HEADER: "3"}
        )

    async def leader_ok(request: web.Request) -> web.Response:
        return web.json_response({"id": 5}, headers={POSITION_HEADER: "12"})

    leader = web.Application()
    leader.router.add_post("/subjects/bad/versions", leader_write)
    leader.router.add_post("/subjects/good/versions", leader_ok)
    async with TestServer(leader) as leader_server:
        cluster = FakeCluster(url=str(leader_server.make_url("")).rstrip("/"))
        router = WriteRouter(cluster, leader_wait_s=1.0)  # type: ignore[arg-type]
        app = routed_app(router, answering({"never": True}))
        async with TestClient(TestServer(app)) as client:
            refused = await client.post("/subjects/bad/versions?normalize=true", data=b'{"schema":"x"}')
            assert refused.status == 409
            assert await refused.json() == {"error_code": 409, "message": "no"}
            assert seen == [("/subjects/bad/versions?normalize=true", "1", b'{"schema":"x"}')]
            assert cluster.waited_for == [], "only successful writes wait for the log"
            ok = await client.post("/subjects/good/versions", json={})
            assert await ok.json() == {"id": 5}
            assert cluster.waited_for == [12]
        await router.close()


async def test_a_write_refused_for_lost_leadership_is_routed_again() -> None:
    cluster = FakeCluster(leader=True)
    router = WriteRouter(cluster, leader_wait_s=0.3)  # type: ignore[arg-type]

    async def lose(request: web.Request) -> web.Response:
        cluster.is_leader = False  # fenced mid-write: nothing committed
        raise NotLeaderError("fenced")

    async with TestClient(TestServer(routed_app(router, lose))) as client:
        answer = await client.post("/subjects/a/versions", json={})
        assert (await answer.json())["error_code"] == 50004
        assert cluster.changes, "it looked for the new leader before answering"


def test_client_configs_for_the_cluster() -> None:
    settings = Settings(kafka_bootstrap="k:9092")
    txn = transactional_producer_config(settings, client_id="c", transactional_id="flux-registry-_schemas")
    assert txn["transactional.id"] == "flux-registry-_schemas"
    assert int(txn["delivery.timeout.ms"]) <= int(txn["transaction.timeout.ms"])  # librdkafka requires it
    assert txn["acks"] == "all" and txn["enable.idempotence"] is True
    assert log_reader_config(settings, client_id="r")["isolation.level"] == "read_committed"
    election = election_config(settings, group_id="g", client_id="e", session_timeout_ms=6000)
    assert election["session.timeout.ms"] == 6000
    assert int(election["heartbeat.interval.ms"]) * 3 <= 6000
    assert election["partition.assignment.strategy"] == "cooperative-sticky"


def test_the_dev_stack_runs_one_process_per_registry_node(tmp_path: Path) -> None:
    nodes = registry_nodes(tmp_path, [8081, 8082, 8083], {"FLUX_KAFKA_BOOTSTRAP": "k:1"})
    assert list(nodes) == ["registry", "registry-2", "registry-3"]
    assert [n.port for n in nodes.values()] == [8081, 8082, 8083]
    assert nodes["registry-3"].args[-2:] == ["--port", "8083"]
    assert all(n.health_path == "/ready" for n in nodes.values()), "ready once replayed, not when up"
    assert Settings(registry_nodes=3).registry_nodes == 3


def test_a_node_forwards_only_to_another_live_leader() -> None:
    log = KafkaRecordLog(Settings(), "_schemas", RegistryState().apply)
    me = NodeIdentity("me", "http://10.0.0.1:8081")
    node = Leadership(Settings(), log, me, fallback_url="http://hint:8081/")
    assert node.leader_url() == "http://hint:8081", "the hint, until a leader is announced"
    log.leader = LeaderInfo("other", "http://10.0.0.2:8081/")
    assert node.leader_url() == "http://10.0.0.2:8081"
    log.leader = LeaderInfo("other", None)
    assert node.leader_url() is None, "it resigned"
    log.leader = LeaderInfo("me", me.url)
    assert node.leader_url() is None, "itself, while it is not (yet) established"
    log.leader = LeaderInfo("an-earlier-process", me.url)
    assert node.leader_url() is None, "a previous process at this address is gone"
    assert not node.is_leader and node.describe()["role"] == "follower"
    assert node.transactional_id == "flux-registry-_schemas"
