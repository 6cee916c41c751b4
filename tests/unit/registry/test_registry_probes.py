"""The registry's probes and metrics without Kafka: ``/health`` is liveness, ``/ready`` readiness
(503 until the log is replayed, leader or follower), ``/metrics`` adds the process's ``process_*``;
Confluent's root paths answer as before once ready."""

from __future__ import annotations

import asyncio
import base64

import pytest
from aiohttp.test_utils import TestClient, TestServer

from flux.registry.api.app import AppOptions, build_app
from flux.registry.api.auth import UserTable
from flux.registry.core.service import RegistryService
from flux.registry.core.state import RegistryState

from .test_registry_service import MemoryLog


class FakeLog:
    """The log as the API sees it: replaying until :meth:`replayed`."""

    def __init__(self) -> None:
        self.topic = "_schemas"
        self.ready = False
        self.lag = 42
        self.replay_seconds: float | None = None
        self.cluster_id: str | None = "kafka-cluster"

    def replayed(self) -> None:
        self.ready, self.lag, self.replay_seconds = True, 0, 0.25


class FakeCluster:
    def __init__(self, *, leader: bool) -> None:
        self.is_leader = leader
        self.establishing = False
        self.position = 0

    def leader_url(self) -> str | None:
        return None if self.is_leader else "http://leader:8081"

    def describe(self) -> dict[str, object]:
        return {"role": "leader" if self.is_leader else "follower", "leader": self.leader_url()}

    async def wait_change(self, limit_s: float) -> None:
        await asyncio.sleep(0)

    async def wait_position(self, position: int, limit_s: float) -> None:
        return None


def client(log: FakeLog, *, leader: bool = True, options: AppOptions | None = None) -> TestClient:
    state = RegistryState()
    app = build_app(
        RegistryService(state, MemoryLog(state)), log, FakeCluster(leader=leader), options or AppOptions()
    )
    return TestClient(TestServer(app))


@pytest.mark.parametrize("leader", [True, False], ids=["leader", "follower"])
async def test_ready_is_503_with_a_reason_until_the_log_is_replayed_then_200(leader: bool) -> None:
    log = FakeLog()
    async with client(log, leader=leader) as http:
        health = await http.get("/health")
        assert health.status == 200, "liveness: the process is up while it replays"
        assert (await health.json())["ready"] is False
        ready = await http.get("/ready")
        assert ready.status == 503
        body = await ready.json()
        assert body["ready"] is False
        assert "replaying" in body["reason"] and "42" in body["reason"]
        assert (await http.get("/subjects")).status == 503  # the API waits for the replay too
        log.lag = 0  # not even connected yet
        assert "waiting for Kafka" in (await (await http.get("/ready")).json())["reason"]

        log.replayed()
        ready = await http.get("/ready")
        assert ready.status == 200
        body = await ready.json()
        assert body["ready"] is True and "reason" not in body
        assert body["role"] == ("leader" if leader else "follower")
        assert (await http.get("/health")).status == 200


async def test_confluent_root_paths_keep_answering_once_ready() -> None:
    log = FakeLog()
    log.replayed()
    async with client(log) as http:
        root = await http.get("/")
        assert root.status == 200
        assert await root.json() == {}
        assert await (await http.get("/subjects")).json() == []
        assert await (await http.get("/contexts")).json() == ["."]
        assert (await http.get("/v1/metadata/id")).status == 200


async def test_probes_stay_open_behind_basic_auth() -> None:
    log = FakeLog()
    options = AppOptions(users=UserTable.from_text("ops:pw:read-write"))
    async with client(log, options=options) as http:
        assert (await http.get("/ready")).status == 503  # not 401
        assert (await http.get("/health")).status == 200
        assert (await http.get("/metrics")).status == 200
        assert (await http.get("/subjects")).status == 401
        log.replayed()
        assert (await http.get("/ready")).status == 200
        auth = {"Authorization": "Basic " + base64.b64encode(b"ops:pw").decode()}
        assert (await http.get("/subjects", headers=auth)).status == 200


async def test_metrics_have_the_registry_s_own_then_the_process_s() -> None:
    log = FakeLog()
    async with client(log) as http:
        text = await (await http.get("/metrics")).text()
        assert "flux_registry_ready 0.0" in text
        log.replayed()
        text = await (await http.get("/metrics")).text()
    lines = text.splitlines()
    assert "flux_registry_ready 1.0" in lines
    assert "flux_registry_replay_seconds 0.25" in lines
    assert 'flux_kafka_consumer_lag_records{component="registry",partition="0",topic="_schemas"} 0.0' in lines
    assert "kafka_schema_registry_master_slave_role 1.0" in lines
    assert any(line.startswith("process_cpu_seconds_total ") for line in lines)
    assert any(line.startswith("process_resident_memory_bytes ") for line in lines)
    assert not any("flux_registry_log_lag_records" in line for line in lines)
