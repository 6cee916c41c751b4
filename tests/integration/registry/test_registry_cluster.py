"""A registry cluster on the real stack: election, failover under load, fencing, forwarding.

Nodes run with the shortest election session the broker allows (6 s), so a killed or paused
leader loses the lead after about 6 s. Takeover times are printed (``pytest -s``).
"""

from __future__ import annotations

import itertools
import json
import random
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from .nodes import eventually, health, the_leader

pytestmark = pytest.mark.integration

CT = "application/vnd.schemaregistry.v1+json"
SESSION_S = 6.0
CLUSTER = ("--session-timeout-ms", str(int(SESSION_S * 1000)))
Start = Callable[..., Any]


def avro(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "flux.cluster", "fields": []})


def committed_records(settings: Any, topic: str) -> list[tuple[int, dict[str, Any], str | None]]:
    """(offset, key, writer node) of every committed record of ``topic``."""
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": f"it-reader-{time.monotonic_ns()}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    found: list[tuple[int, dict[str, Any], str | None]] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    break
                continue
            headers = dict(message.headers() or [])
            node = headers.get("flux-registry-node")
            found.append((message.offset(), json.loads(message.key()), node.decode() if node else None))
    finally:
        consumer.close()
    return found


def test_nodes_elect_exactly_one_leader_and_agree_on_it(start_registry: Start) -> None:
    first = start_registry(*CLUSTER)
    nodes = [first, *(start_registry(*CLUSTER, topic=first.topic) for _ in range(2))]
    leader = the_leader(nodes)
    for _ in range(10):  # and it stays that way while the others join and settle
        views = [health(n) for n in nodes]
        assert [v["role"] for v in views].count("leader") == 1, views
        assert {v["leader"] for v in views} == {leader.url}, views
        time.sleep(0.3)


def test_a_follower_forwards_writes_and_reads_its_own_writes(start_registry: Start) -> None:
    first = start_registry(*CLUSTER)
    second = start_registry(*CLUSTER, topic=first.topic)
    leader = the_leader([first, second])
    follower = second if leader is first else first
    with httpx.Client(base_url=follower.url, headers={"Content-Type": CT}, timeout=30.0) as api:
        for n in range(20):
            subject = f"ryw-{n}-value"
            registered = api.post(f"/subjects/{subject}/versions", json={"schema": avro(f"R{n}")})
            assert registered.status_code == 200, registered.text
            schema_id = registered.json()["id"]
            # at once, on the follower: no sleep, no retry
            assert api.get(f"/subjects/{subject}/versions/latest").json()["id"] == schema_id
            assert json.loads(api.get(f"/schemas/ids/{schema_id}").json()["schema"])["name"] == f"R{n}"
        assert api.put("/config/ryw-0-value", json={"compatibility": "NONE"}).status_code == 200
        assert api.get("/config/ryw-0-value").json() == {"compatibilityLevel": "NONE"}
    assert health(follower)["role"] == "follower"


class Writers:
    """Clients registering one new schema per subject, on any node, retrying until acknowledged
    (registering the same schema again under the same subject answers the same id)."""

    def __init__(self, nodes: list[Any], clients: int) -> None:
        self.nodes = nodes
        self.acknowledged: dict[str, tuple[str, int]] = {}  # subject -> (record name, id)
        self.failures = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(c,), daemon=True) for c in range(clients)]

    def start(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def _run(self, worker: int) -> None:
        rng = random.Random(worker)
        with httpx.Client(headers={"Content-Type": CT}, timeout=20.0) as http:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                subject, name = f"load-{worker}-{n}-value", f"L{worker}N{n}"
                while not self.stop.is_set():
                    node = rng.choice([p for p in self.nodes if p.process.poll() is None])
                    try:
                        answer = http.post(
                            f"{node.url}/subjects/{subject}/versions", json={"schema": avro(name)}
                        )
                    except httpx.HTTPError:
                        answer = None
                    if answer is not None and answer.status_code == 200:
                        with self._lock:
                            self.acknowledged[subject] = (name, answer.json()["id"])
                        break
                    self.failures += 1
                    time.sleep(0.05)

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def finish(self) -> dict[str, tuple[str, int]]:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        return dict(self.acknowledged)


def assert_consistent(acknowledged: dict[str, tuple[str, int]], nodes: list[Any]) -> None:
    """No id names two schemas, and every acknowledged registration is readable on every node."""
    by_id: dict[int, str] = {}
    for name, schema_id in acknowledged.values():
        assert by_id.setdefault(schema_id, name) == name, (
            f"id {schema_id} given to {by_id[schema_id]} and {name}"
        )
    for node in nodes:
        with httpx.Client(base_url=node.url, timeout=30.0) as api:
            for subject, (name, schema_id) in acknowledged.items():
                versions = api.get(f"/subjects/{subject}/versions").json()
                assert versions == [1], (node.url, subject, versions)
                assert api.get(f"/subjects/{subject}/versions/1").json()["id"] == schema_id
                assert json.loads(api.get(f"/schemas/ids/{schema_id}").json()["schema"])["name"] == name
            every = api.get("/schemas?deleted=true").json()
            ids = [s["id"] for s in every]
            names = {s["id"]: json.loads(s["schema"])["name"] for s in every}
            assert len(ids) == len(set(ids)) == len(names)
            assert all(names[i] == n for i, n in by_id.items())


def test_killing_the_leader_under_load_elects_a_new_one_and_loses_nothing(start_registry: Start) -> None:
    first = start_registry(*CLUSTER)
    nodes = [first, *(start_registry(*CLUSTER, topic=first.topic) for _ in range(2))]
    leader = the_leader(nodes)
    writers = Writers(nodes, clients=4).start()
    assert eventually(lambda: writers.count() >= 40, 60), "writes were not acknowledged"
    killed_at = time.monotonic()
    leader.kill(signal.SIGKILL)
    survivors = [n for n in nodes if n is not leader]
    successor = the_leader(survivors, seconds=SESSION_S + 20)
    takeover = time.monotonic() - killed_at
    before = writers.count()
    assert eventually(lambda: writers.count() >= before + 40, 60), "no writes after the failover"
    acknowledged = writers.finish()
    print(
        f"\nleader SIGKILL → {successor.url} leads after {takeover:.2f}s (session {SESSION_S:.0f}s); "
        f"{len(acknowledged)} registrations acknowledged, {writers.failures} attempts refused or failed"
    )
    assert takeover < SESSION_S + 6, f"takeover took {takeover:.1f}s"
    assert_consistent(acknowledged, survivors)


def test_a_paused_leader_is_fenced_writes_nothing_and_follows(start_registry: Start, stack: Any) -> None:
    first = start_registry(*CLUSTER)
    second = start_registry(*CLUSTER, topic=first.topic)
    old = the_leader([first, second])
    new = second if old is first else first
    old_node = health(old)["node"]
    with httpx.Client(base_url=old.url, headers={"Content-Type": CT}, timeout=60.0) as api:
        assert api.post("/subjects/before-value/versions", json={"schema": avro("Before")}).status_code == 200
    paused_at = time.monotonic()
    assert old.process is not None
    old.process.send_signal(signal.SIGSTOP)
    queued: list[httpx.Response] = []

    def write_to_the_paused_node() -> None:  # sits in the paused node's socket until SIGCONT
        with httpx.Client(headers={"Content-Type": CT}, timeout=60.0) as http:
            queued.append(
                http.post(f"{old.url}/subjects/queued-value/versions", json={"schema": avro("Queued")})
            )

    writer = threading.Thread(target=write_to_the_paused_node)
    try:
        writer.start()
        assert the_leader([new], seconds=SESSION_S + 20) is new
        takeover = time.monotonic() - paused_at
        with httpx.Client(base_url=new.url, headers={"Content-Type": CT}, timeout=30.0) as api:
            during = api.post("/subjects/during-value/versions", json={"schema": avro("During")})
            assert during.status_code == 200, during.text
        time.sleep(max(0.0, SESSION_S + 2 - (time.monotonic() - paused_at)))
    finally:
        old.process.send_signal(signal.SIGCONT)
    resumed_at = time.monotonic()
    writer.join(60)
    assert eventually(
        lambda: health(old).get("role") == "follower" and health(old).get("leader") == new.url, 20
    )
    print(
        f"\nleader SIGSTOP → {new.url} leads after {takeover:.2f}s; the resumed node follows after "
        f"{time.monotonic() - resumed_at:.2f}s; its queued write answered {queued[0].status_code} "
        f"{queued[0].text[:80]}; fenced writes: {health(old)['fenced']}"
    )
    answer = queued[0]
    assert answer.status_code == 200 or answer.json()["error_code"] in (50003, 50004), answer.text
    assert health(new)["role"] == "leader"
    records = committed_records(stack.settings, first.topic)
    new_term = max(o for o, key, node in records if key.get("keytype") == "LEADER" and node != old_node)
    late = [(o, key) for o, key, node in records if node == old_node and o > new_term]
    assert not late, f"the fenced ex-leader committed after the new leader took over: {late}"
    with httpx.Client(base_url=old.url, headers={"Content-Type": CT}, timeout=30.0) as api:
        again = api.post("/subjects/after-value/versions", json={"schema": avro("After")})
        assert again.status_code == 200, again.text
        assert api.get("/subjects/after-value/versions/latest").json()["id"] == again.json()["id"]
        ids = [
            api.get(f"/subjects/{s}-value/versions/latest").json()["id"]
            for s in ("before", "during", "after")
        ]
        assert len(set(ids)) == 3
