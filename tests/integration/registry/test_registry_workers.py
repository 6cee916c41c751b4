"""``flux registry serve --workers 2`` on the real stack: two processes on one port.

Every write through the shared port is acknowledged (the workers forward to the serving process's
internal port, which leads), every new id is readable on the very next request whichever process
answers it (read-your-writes across workers), both processes answer, a second node forwards to
the internal port, and killing the serving process ends its workers.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from flux.devstack.process import pid_alive

from .nodes import eventually, health

pytestmark = pytest.mark.integration

CT = "application/vnd.schemaregistry.v1+json"
WORKER = "X-Flux-Registry-Worker"
Start = Callable[..., Any]


def avro(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "flux.workers", "fields": []})


def fresh(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request on a new connection: the kernel picks the process anew each time."""
    return httpx.request(method, url, headers={"Content-Type": CT}, timeout=30.0, **kwargs)


def ready_pids(url: str, want: int, seconds: float = 60.0) -> set[int]:
    """The processes answering ``/ready`` 200 on ``url`` (new connections until ``want`` did)."""
    seen: set[int] = set()

    def all_ready() -> bool:
        try:
            answer = fresh("GET", url + "/ready")
        except httpx.HTTPError:
            return False
        if answer.status_code == 200 and WORKER in answer.headers:
            seen.add(int(answer.headers[WORKER]))
        return len(seen) >= want

    assert eventually(all_ready, seconds), f"only {seen} answered /ready"
    return seen


def test_two_workers_share_the_port_and_read_their_writes(start_registry: Start) -> None:
    node = start_registry("--workers", "2", wait=False)
    pids = ready_pids(node.url, 2)
    parent = node.process.pid
    assert parent in pids, "the serving process answers on the shared port too"
    assert eventually(lambda: bool(health(node).get("leader")), 30.0)
    leader_url = health(node)["leader"]
    assert not leader_url.endswith(f":{node.port}"), "the leader advertises its internal port"

    answered: set[int] = set()
    ids: dict[str, int] = {}
    for n in range(40):
        subject = f"workers-{n}-value"
        registered = fresh("POST", f"{node.url}/subjects/{subject}/versions", json={"schema": avro(f"W{n}")})
        assert registered.status_code == 200, registered.text
        answered.add(int(registered.headers[WORKER]))
        schema_id = registered.json()["id"]
        assert schema_id not in ids.values()
        ids[subject] = schema_id
        # at once, on a new connection (either process): no sleep, no retry
        by_id = fresh("GET", f"{node.url}/schemas/ids/{schema_id}")
        assert by_id.status_code == 200, by_id.text
        answered.add(int(by_id.headers[WORKER]))
        assert json.loads(by_id.json()["schema"])["name"] == f"W{n}"
        latest = fresh("GET", f"{node.url}/subjects/{subject}/versions/latest")
        assert latest.status_code == 200 and latest.json()["id"] == schema_id
        looked_up = fresh("POST", f"{node.url}/subjects/{subject}", json={"schema": avro(f"W{n}")})
        assert looked_up.status_code == 200 and looked_up.json()["id"] == schema_id
        answered.add(int(looked_up.headers[WORKER]))
    assert answered == pids, f"both processes answer: {answered} of {pids}"

    # the same schema again is no new version, through either process
    again = fresh("POST", f"{node.url}/subjects/workers-0-value/versions", json={"schema": avro("W0")})
    assert again.status_code == 200 and again.json()["id"] == ids["workers-0-value"]

    metrics = fresh("GET", f"{node.url}/metrics").text
    assert "flux_registry_workers 2.0" in metrics.splitlines()

    # a second node forwards its writes to the internal port (no loop through a worker)
    other = start_registry(topic=node.topic)
    forwarded = fresh(
        "POST", f"{other.url}/subjects/workers-other-value/versions", json={"schema": avro("O")}
    )
    assert forwarded.status_code == 200, forwarded.text
    assert fresh("GET", f"{node.url}/schemas/ids/{forwarded.json()['id']}").status_code == 200

    workers = pids - {parent}
    node.kill(signal.SIGKILL)
    assert eventually(lambda: not any(pid_alive(p) for p in workers), 15.0), "workers outlived their parent"


def test_one_worker_is_today_s_single_process(start_registry: Start) -> None:
    node = start_registry()
    answer = fresh("GET", f"{node.url}/ready")
    assert answer.status_code == 200 and WORKER not in answer.headers
    assert eventually(lambda: health(node).get("leader") == node.url, 30.0), "it advertises its own port"
    assert "flux_registry_workers 1.0" in fresh("GET", f"{node.url}/metrics").text.splitlines()
