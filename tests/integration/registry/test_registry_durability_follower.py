"""Restart with state preserved, kill -9 during writes, ids never reused, followers.

A node killed with SIGKILL keeps the lead until its election session times out: the nodes here
run with the shortest session the broker allows (6 s), and a restarted node is written to once it
has taken the lead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .nodes import eventually, health

pytestmark = pytest.mark.integration


def avro(name: str, *fields: str) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "flux.dur",
            "fields": [{"name": f, "type": "int", "default": 0} for f in fields],
        }
    )


CT = "application/vnd.schemaregistry.v1+json"
Start = Callable[..., Any]
SHORT_SESSION = ("--session-timeout-ms", "6000")


def wait_leader(process: Any, seconds: float = 30.0) -> None:
    assert eventually(lambda: health(process).get("role") == "leader", seconds), (
        f"{process.url} did not take the lead"
    )


def client(process: Any) -> httpx.Client:
    return httpx.Client(base_url=process.url, headers={"Content-Type": CT}, timeout=30.0)


def snapshot(api: httpx.Client) -> dict[str, object]:
    """Everything a client can observe about the registry's state."""
    subjects = api.get("/subjects?deleted=true").json()
    state: dict[str, object] = {
        "subjects": subjects,
        "live": api.get("/subjects").json(),
        "config": api.get("/config").json(),
        "mode": api.get("/mode").json(),
    }
    for subject in subjects:
        versions = api.get(f"/subjects/{subject}/versions?deleted=true").json()
        state[subject] = [api.get(f"/subjects/{subject}/versions/{v}?deleted=true").json() for v in versions]
        state[subject + "/config"] = api.get(f"/config/{subject}").json()
    return state


def test_restart_preserves_state_and_ids_continue(start_registry: Start) -> None:
    first = start_registry(*SHORT_SESSION)
    with client(first) as api:
        api.put("/config", json={"compatibility": "FULL"})
        api.put("/config/b-value", json={"compatibility": "NONE"})
        ids = [
            api.post("/subjects/a-value/versions", json={"schema": avro("A", *"xyz"[:n])}).json()["id"]
            for n in range(3)
        ]
        api.post("/subjects/b-value/versions", json={"schema": avro("B")})
        api.delete("/subjects/a-value/versions/1")
        last = api.post("/subjects/c-value/versions", json={"schema": avro("C")}).json()["id"]
        api.delete("/subjects/c-value")
        api.delete(
            "/subjects/c-value?permanent=true"
        )  # the highest id is now gone from the log's live records
        before = snapshot(api)
    assert ids == [1, 2, 3]
    assert last == 5
    first.kill()
    second = start_registry(topic=first.topic)
    with client(second) as api:
        assert snapshot(api) == before
        wait_leader(second)
        fresh = api.post("/subjects/d-value/versions", json={"schema": avro("D")}).json()["id"]
        assert fresh == 6, "ids are never reused, even the hard-deleted highest one"


def test_kill_during_writes_loses_nothing_acknowledged(
    start_registry: Start,
) -> None:
    process = start_registry()
    acknowledged: list[tuple[str, int]] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        with client(process) as api:
            n = 0
            while not stop.is_set():
                subject = f"w{worker}-{n}-value"
                try:
                    response = api.post(
                        f"/subjects/{subject}/versions", json={"schema": avro(f"W{worker}N{n}")}, timeout=5.0
                    )
                except httpx.HTTPError:
                    return  # the server died mid-request: not acknowledged
                if response.status_code == 200:
                    acknowledged.append((subject, response.json()["id"]))
                n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    assert eventually(lambda: len(acknowledged) >= 40, seconds=60), "writes were not acknowledged"
    process.kill()
    stop.set()
    for thread in threads:
        thread.join(10)
    restarted = start_registry(topic=process.topic)
    with client(restarted) as api:
        for subject, schema_id in acknowledged:
            got = api.get(f"/subjects/{subject}/versions/latest")
            assert got.status_code == 200, (subject, got.text)
            assert got.json()["id"] == schema_id
        ids = [i for _, i in acknowledged]
        assert len(set(ids)) == len(ids)


def test_follower_reads_forwards_and_stays_consistent(start_registry: Start) -> None:
    primary = start_registry()
    follower = start_registry("--follower", "--primary-url", primary.url, topic=primary.topic)
    with client(primary) as p, client(follower) as f:
        assert f.get("/health").json()["role"] == "follower"
        # a write sent to the follower is forwarded, and the follower reads its own write at once
        forwarded = f.post("/subjects/f-value/versions", json={"schema": avro("F")})
        assert forwarded.status_code == 200
        schema_id = forwarded.json()["id"]
        assert f.get("/subjects/f-value/versions/latest").json()["id"] == schema_id
        assert p.get("/subjects/f-value/versions/latest").json()["id"] == schema_id
        # errors come back unchanged from the primary
        incompatible = f.post(
            "/subjects/f-value/versions",
            json={
                "schema": json.dumps(
                    {
                        "type": "record",
                        "name": "F",
                        "namespace": "flux.dur",
                        "fields": [{"name": "q", "type": "int"}],
                    }
                )
            },
        )
        assert incompatible.status_code == 409
        assert f.put("/config/f-value", json={"compatibility": "NONE"}).status_code == 200
        assert f.get("/config/f-value").json() == {"compatibilityLevel": "NONE"}
        # writes made on the primary reach the follower through the log
        p.post("/subjects/g-value/versions", json={"schema": avro("G")})
        f.delete("/subjects/f-value")
        assert eventually(lambda: f.get("/subjects").json() == ["g-value"])
        assert snapshot(f) == snapshot(p)
        # reads are answered locally: lookups and compatibility checks on the follower
        assert f.post("/subjects/g-value", json={"schema": avro("G")}).status_code == 200
        assert f.post(
            "/compatibility/subjects/g-value/versions/latest", json={"schema": avro("G")}
        ).json() == {"is_compatible": True}


def test_follower_finds_the_leader_without_a_primary_url(start_registry: Start) -> None:
    primary = start_registry()
    follower = start_registry("--follower", topic=primary.topic)
    with client(follower) as f:
        assert f.post("/subjects/x-value/versions", json={"schema": avro("X")}).json() == {"id": 1}
        assert f.get("/health").json()["leader"] == primary.url


def test_without_any_leader_writes_answer_50004(start_registry: Start) -> None:
    follower = start_registry("--follower", "--leader-wait", "1")  # no node stands for election
    with client(follower) as f:
        refused = f.post("/subjects/x-value/versions", json={"schema": avro("X")})
        assert refused.status_code == 500
        assert refused.json()["error_code"] == 50004
        assert f.put("/config", json={"compatibility": "NONE"}).json()["error_code"] == 50004
        assert f.get("/subjects").status_code == 200


def test_follower_with_dead_primary_answers_50003(start_registry: Start) -> None:
    primary = start_registry()
    follower = start_registry("--follower", "--leader-wait", "1", topic=primary.topic)
    primary.kill()
    with client(follower) as f:
        refused = f.delete("/subjects/x-value")
        assert refused.status_code == 500
        assert refused.json()["error_code"] == 50003


def test_primary_creates_its_missing_topic_compacted(start_registry: Start, stack: Any) -> None:
    from confluent_kafka.admin import AdminClient, ConfigResource

    from flux.kafka.config import admin_config

    topic = f"_schemas-created-{time.monotonic_ns()}"
    process = start_registry(topic=topic)
    with client(process) as api:
        assert api.post("/subjects/n-value/versions", json={"schema": avro("N")}).json() == {"id": 1}
    admin = AdminClient(admin_config(stack.settings))
    metadata = admin.list_topics(topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == 1
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    config = admin.describe_configs([resource])[resource].result(timeout=10)
    assert config["cleanup.policy"].value == "compact"


def test_without_kafka_it_answers_503_and_never_hangs(start_registry: Start) -> None:
    dead = start_registry(
        topic="_schemas-unreachable", wait=False, env={"FLUX_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    )
    deadline = time.monotonic() + 30
    health = None
    while time.monotonic() < deadline:
        try:
            health = httpx.get(dead.url + "/health", timeout=2.0)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    assert health is not None
    assert health.status_code == 200  # liveness: the process is up
    assert health.json()["ready"] is False
    ready = httpx.get(dead.url + "/ready", timeout=2.0)
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
    assert "replaying" in ready.json()["reason"]
    with client(dead) as api:
        for method, path in (
            ("GET", "/subjects"),
            ("POST", "/subjects/x-value/versions"),
            ("GET", "/config"),
        ):
            response = api.request(method, path, json={"schema": avro("X")}, timeout=5.0)
            assert response.status_code == 503
            assert response.json()["error_code"] == 50002
