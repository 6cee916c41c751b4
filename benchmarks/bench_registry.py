"""Benchmark of the Flux Schema Registry on a real embedded Kafka (``make bench-registry``).

Measures, on one registry process:

* id lookups per second (``GET /schemas/ids/{id}``, keep-alive, concurrent clients), next to a
  bare aiohttp handler answering a fixed JSON body, measured by the same client in alternating
  rounds of the same run (the ceiling this machine's HTTP stack allows; medians reported);
* register latency p50/p99 over 1,000 new subjects (each a Kafka write acknowledged by all
  in-sync replicas and read back before the answer), for Avro and for JSON Schema (parsed,
  checked against its draft's meta-schema and its ``$ref``s resolved on every registration);
* replay time of 10,000 schemas: records produced to a fresh topic, then a registry started on
  it; reported as the registry's own replay time and as process start to ``/ready`` 200, next to
  a bare consumer reading the same records;
* ``--workers`` 1 and 2 (private nodes on fresh topics): ``GET /schemas/ids/{id}`` and
  ``POST /subjects/{s}`` lookups per second, next to the bare handler run as as many processes
  (``SO_REUSEPORT``) answering GETs and answering the lookups' own POSTs (reading their bodies,
  as any handler of them must), in alternating rounds, the load coming from CLIENT_PROCESSES processes of
  the same client; and the servers' own CPU per request (all their processes and threads, from
  ``/proc``), since the clients share the cores: requests per server CPU-second is the per-core rate;
* registrations per second and p99 with WRITERS concurrent clients, directly on the leader of a
  two-node cluster and through its follower (forwarded);
* leader takeover over TAKEOVERS SIGKILLs of the leader of two nodes with a 6 s session: from the
  kill to the first write acknowledged through the survivor (the killed node is started again
  and follows before the next kill); min / median / max.

Targets: >= 5,000 id lookups/s; replay of 10,000 schemas < 5 s; lookups per server CPU-second at
least the bare handler's (answering the same POSTs), POST lookups within 1.5x of GET by id.
Prints a table with the ratios (asserts nothing); exits 0. ``--quick`` runs a small version (100 subjects, 1,000 schemas to
replay, one short lookup round, 2 takeovers) to check the benchmark itself in a few minutes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from flux.catalogue import TopicKind, load_catalogue
from flux.devstack.ports import free_port
from flux.kafka.admin import ensure_topics
from flux.kafka.config import consumer_config, producer_config
from flux.registry.core.model import StoredSchema
from flux.registry.core.records import SchemaRecord, encode_record
from flux.schemas.types import SchemaType
from flux.settings import Settings
from flux.testing.stack import ephemeral_stack

CT = "application/vnd.schemaregistry.v1+json"
LOOKUP_SECONDS = 9.0
ROUNDS = 3
CONCURRENCY = 32
SUBJECTS = 1_000
REPLAY_SCHEMAS = 10_000
CLIENT_PROCESSES = 2
WRITERS = 8
TAKEOVERS = 5
SESSION_MS = 6_000
WORKER_HEADER = "X-Flux-Registry-Worker"


def quick() -> None:
    """Shrink the run (``--quick``)."""
    global LOOKUP_SECONDS, ROUNDS, SUBJECTS, REPLAY_SCHEMAS, TAKEOVERS
    LOOKUP_SECONDS, ROUNDS, SUBJECTS, REPLAY_SCHEMAS, TAKEOVERS = 2.0, 1, 100, 1_000, 2


def json_schema_text(n: int) -> str:
    return json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": f"Bench{n}",
            "type": "object",
            "properties": {"id": {"type": "integer"}, f"v{n}": {"type": "string", "maxLength": 64}},
            "required": ["id"],
            "additionalProperties": False,
        }
    )


def schema_text(n: int) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": f"Bench{n}",
            "namespace": "flux.bench",
            "fields": [{"name": "id", "type": "long"}, {"name": f"v{n}", "type": "string"}],
        }
    )


async def hammer(urls: list[str], seconds: float) -> float:
    """Requests per second answered 200 for ``GET`` on ``urls`` (cycled) with CONCURRENCY clients."""
    done, elapsed = await hammer_load(Load("GET", tuple(urls)), seconds)
    return done / elapsed


def run_bare_server(port: int) -> subprocess.Popen[bytes]:
    """A bare aiohttp app with one handler returning a fixed schema body (the HTTP ceiling)."""
    return run_bare_servers(port, 1)[0]


async def wait_http(url: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(url)


async def bench_lookups(registry_url: str) -> tuple[float, float]:
    async with aiohttp.ClientSession(headers={"Content-Type": CT}) as session:
        ids = []
        for n in range(100):
            async with session.post(
                f"{registry_url}/subjects/lookup-{n}/versions", json={"schema": schema_text(n)}
            ) as response:
                ids.append((await response.json())["id"])
    port = free_port()
    bare = run_bare_server(port)
    ours_rounds: list[float] = []
    bare_rounds: list[float] = []
    try:
        await wait_http(f"http://127.0.0.1:{port}/schemas/ids/1")
        # alternate short rounds so both see the same machine load; report the medians
        for _ in range(ROUNDS):
            ours_rounds.append(
                await hammer([f"{registry_url}/schemas/ids/{i}" for i in ids], LOOKUP_SECONDS / ROUNDS)
            )
            bare_rounds.append(
                await hammer(
                    [f"http://127.0.0.1:{port}/schemas/ids/{i}" for i in range(100)], LOOKUP_SECONDS / ROUNDS
                )
            )
    finally:
        bare.terminate()
        bare.wait()
    ours, ceiling = statistics.median(ours_rounds), statistics.median(bare_rounds)
    return ours, ceiling


async def bench_register(registry_url: str, schema_type: str = "AVRO") -> list[float]:
    latencies = []
    text = json_schema_text if schema_type == "JSON" else schema_text
    async with aiohttp.ClientSession(headers={"Content-Type": CT}) as session:
        for n in range(SUBJECTS):
            body = {"schema": text(100_000 + n), "schemaType": schema_type}
            started = time.perf_counter()
            async with session.post(
                f"{registry_url}/subjects/bench-{schema_type.lower()}-{n}-value/versions", json=body
            ) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(await response.text())
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def fill_topic(settings: Settings, count: int) -> str:
    spec = next(t for t in load_catalogue().of_kind(TopicKind.INTERNAL) if t.domain == "registry")
    topic = dataclasses.replace(spec, name=f"_schemas-bench-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings, [topic])
    producer = Producer(producer_config(settings, client_id="bench-fill", linger_ms=20))
    for n in range(count):
        record = SchemaRecord(f"replay-{n}-value", 1, StoredSchema(n + 1, SchemaType.AVRO, schema_text(n)))
        key, value = encode_record(record)
        while True:
            try:
                producer.produce(topic.name, key=key, value=value, partition=0)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(60) != 0:
        raise RuntimeError("could not write the replay records")
    return topic.name


def bare_consume_seconds(settings: Settings, topic: str, count: int) -> float:
    config: dict[str, Any] = consumer_config(
        settings, group_id=f"bench-{uuid.uuid4().hex}", client_id="bench"
    )
    config["enable.partition.eof"] = True
    consumer = Consumer(config)
    started = time.perf_counter()
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    seen = 0
    try:
        while True:
            message = consumer.poll(1.0)
            if message is None:
                continue
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                break
            if error is None:
                json.loads(message.key() or b"null")
                json.loads(message.value() or b"null")
                seen += 1
    finally:
        consumer.close()
    if seen != count:
        raise RuntimeError(f"expected {count} records, read {seen}")
    return time.perf_counter() - started


def start_registry_process(port: int, topic: str, env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flux", "registry", "serve", "--port", str(port), "--topic", topic],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def bench_replay(settings: Settings, workdir: Path) -> tuple[float, float, float]:
    topic = fill_topic(settings, REPLAY_SCHEMAS)
    bare = bare_consume_seconds(settings, topic, REPLAY_SCHEMAS)
    port = free_port()
    env = {**os.environ, "FLUX_KAFKA_BOOTSTRAP": settings.kafka_bootstrap}
    log = (workdir / "replay-registry.log").open("wb")
    started = time.perf_counter()
    process = start_registry_process(port, topic, env, log)
    try:
        await wait_http(f"http://127.0.0.1:{port}/ready")
        to_ready = time.perf_counter() - started
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
            async with session.get(f"http://127.0.0.1:{port}/subjects") as response:
                subjects = await response.json()
        if len(subjects) != REPLAY_SCHEMAS:
            raise RuntimeError(f"replayed {len(subjects)} subjects, expected {REPLAY_SCHEMAS}")
        replay = next(
            float(line.split()[1])
            for line in metrics.splitlines()
            if line.startswith("flux_registry_replay_seconds ")
        )
    finally:
        process.terminate()
        process.wait()
    return replay, to_ready, bare


# ---------------------------------------------------------------------- workers
@dataclasses.dataclass(frozen=True)
class Load:
    """Requests cycled by every client: ``method`` on each URL (with the matching body)."""

    method: str
    urls: tuple[str, ...]
    bodies: tuple[bytes, ...] = ()


async def hammer_load(load: Load, seconds: float) -> tuple[int, float]:
    """(requests answered 200, elapsed) over ``seconds`` with CONCURRENCY keep-alive clients."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    done = failures = 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": CT}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker(w: int) -> None:
            nonlocal done, failures
            i = w
            while time.perf_counter() < deadline:
                n = i % len(load.urls)
                body = load.bodies[n] if load.bodies else None
                async with session.request(load.method, load.urls[n], data=body) as response:
                    await response.read()
                    if response.status == 200:
                        done += 1
                    else:
                        failures += 1
                i += CONCURRENCY

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{failures} requests failed ({load.method} {load.urls[0]})")
    return done, elapsed


def _hammer_in_child(load: Load, seconds: float) -> tuple[int, float]:
    return asyncio.run(hammer_load(load, seconds))


@dataclasses.dataclass(frozen=True)
class Round:
    """One load round: requests/s seen by the clients, and the server's CPU per request."""

    rate: float
    cpu_us: float  # CPU time of the server's processes (all threads) per answered request

    @property
    def per_cpu_second(self) -> float:
        """Requests per second of server CPU: the rate one fully busy core would sustain."""
        return 1e6 / self.cpu_us if self.cpu_us > 0 else 0.0


def tree_cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of ``pids`` and every process below them (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo, seen = 0.0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return total


def hammer_measured(
    pool: concurrent.futures.Executor, load: Load, seconds: float, server_pids: Sequence[int]
) -> Round:
    """Requests/s from CLIENT_PROCESSES client processes at once, and the CPU the server processes ``server_pids`` spent meanwhile.

    On a host whose cores the clients share, requests/s says how the cores were split as much as
    what the server costs; CPU per request is the server's own cost, whatever the split.
    """
    before = tree_cpu_seconds(server_pids)
    futures = [pool.submit(_hammer_in_child, load, seconds) for _ in range(CLIENT_PROCESSES)]
    results = [f.result() for f in futures]
    spent = tree_cpu_seconds(server_pids) - before
    answered = sum(done for done, _ in results)
    rate = sum(done / elapsed for done, elapsed in results)
    return Round(rate, spent / answered * 1e6 if answered and server_pids else 0.0)


def run_bare_servers(port: int, processes: int) -> list[subprocess.Popen[bytes]]:
    """The bare handler (one fixed schema body, the HTTP ceiling) as ``processes`` processes on one port."""
    code = (
        "from aiohttp import web\n"
        f"body = {json.dumps(json.dumps({'schema': schema_text(1)}))}.encode()\n"
        "async def h(r): return web.Response(body=body, content_type='application/vnd.schemaregistry.v1+json')\n"
        "async def p(r):\n    await r.read()\n    return await h(r)\n"
        "app = web.Application(); app.router.add_get('/schemas/ids/{id}', h)\n"
        "app.router.add_post('/subjects/{s}', p)\n"
        f"web.run_app(app, host='127.0.0.1', port={port}, access_log=None, print=None, reuse_port=True)\n"
    )
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(processes)]


async def wait_processes(url: str, processes: int, limit_s: float = 90.0) -> set[str]:
    """Wait until ``processes`` distinct processes answered ``url`` 200 (new connections)."""
    seen: set[str] = set()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                if response.status == 200:
                    seen.add(response.headers.get(WORKER_HEADER, "single"))
        except aiohttp.ClientError:
            pass
        if len(seen) >= processes:
            return seen
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{url}: {len(seen)} of {processes} processes ready")


class Node:
    """One private ``flux registry serve`` process (its log in the bench's work dir)."""

    def __init__(self, topic: str, env: dict[str, str], workdir: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.topic, self.env, self.extra = topic, env, extra
        self.log = (workdir / f"node-{self.port}.log").open("ab")
        self.process = self.start()

    def start(self) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "flux", "registry", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*args, "--topic", self.topic, *self.extra],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self.process

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)

    async def role(self) -> str | None:
        try:
            async with aiohttp.ClientSession() as session, session.get(self.url + "/health") as response:
                body = await response.json()
                return str(body.get("role"))
        except (aiohttp.ClientError, ValueError):
            return None


def bench_topic() -> str:
    return f"_schemas-bench-{uuid.uuid4().hex[:8]}"


async def register_many(url: str, subjects: list[str], texts: list[str], limit_s: float = 60.0) -> list[int]:
    """Register each text under its subject; while the node's election is still open (50003/50004,
    as a fresh node is ready before it knows its leader) retry like a client would."""
    ids = []
    deadline = time.monotonic() + limit_s
    async with aiohttp.ClientSession(headers={"Content-Type": CT}) as session:
        for subject, text in zip(subjects, texts, strict=True):
            while True:
                async with session.post(
                    f"{url}/subjects/{subject}/versions", json={"schema": text}
                ) as answer:
                    body = await answer.json(content_type=None)
                if answer.status == 200:
                    ids.append(body["id"])
                    break
                if body.get("error_code") not in (50003, 50004) or time.monotonic() > deadline:
                    raise RuntimeError(f"HTTP {answer.status}: {body}")
                await asyncio.sleep(0.2)
    return ids


@dataclasses.dataclass
class WorkerFigures:
    workers: int
    by_id: Round
    lookups: Round
    bare: Round
    bare_post: Round  # the bare handler answering the lookups' own POSTs (their bodies read)
    idle_ms: tuple[float, float]  # CPU ms per second with no load: the node's, the bare handler's


async def bench_workers(
    settings: Settings, workdir: Path, pool: concurrent.futures.Executor, workers: int
) -> WorkerFigures:
    env = {**os.environ, "FLUX_KAFKA_BOOTSTRAP": settings.kafka_bootstrap}
    node = Node(bench_topic(), env, workdir, "--workers", str(workers))
    bare_port = free_port()
    bare = run_bare_servers(bare_port, workers)
    try:
        await wait_processes(node.url + "/ready", workers)
        await wait_http(f"http://127.0.0.1:{bare_port}/schemas/ids/1")
        subjects = [f"workers-{n}-value" for n in range(100)]
        texts = [schema_text(n) for n in range(100)]
        ids = await register_many(node.url, subjects, texts)
        await asyncio.sleep(0.5)  # every worker has applied them (the writes waited for it too)
        by_id = Load("GET", tuple(f"{node.url}/schemas/ids/{i}" for i in ids))
        lookup = Load(
            "POST",
            tuple(f"{node.url}/subjects/{s}" for s in subjects),
            tuple(json.dumps({"schema": t}).encode() for t in texts),
        )
        bare_load = Load("GET", tuple(f"http://127.0.0.1:{bare_port}/schemas/ids/{n}" for n in range(100)))
        bare_post = Load(
            "POST", tuple(f"http://127.0.0.1:{bare_port}/subjects/{s}" for s in subjects), lookup.bodies
        )
        rounds: dict[str, list[Round]] = {"id": [], "lookup": [], "bare": [], "bare_post": []}
        seconds = LOOKUP_SECONDS / ROUNDS
        ours, theirs = [node.process.pid], [p.pid for p in bare]
        idle = await idle_cpu_ms(ours), await idle_cpu_ms(theirs)
        for _ in range(ROUNDS):
            rounds["id"].append(hammer_measured(pool, by_id, seconds, ours))
            rounds["lookup"].append(hammer_measured(pool, lookup, seconds, ours))
            rounds["bare"].append(hammer_measured(pool, bare_load, seconds, theirs))
            rounds["bare_post"].append(hammer_measured(pool, bare_post, seconds, theirs))
    finally:
        for process in bare:
            process.terminate()
            process.wait()
        node.stop()
    medians = (median_round(rounds[k]) for k in ("id", "lookup", "bare", "bare_post"))
    return WorkerFigures(workers, *medians, idle_ms=idle)


async def idle_cpu_ms(pids: Sequence[int], seconds: float = 2.0) -> float:
    """CPU milliseconds per second ``pids`` spend with no request to answer (a registry node's
    Kafka client threads and group heartbeats; counted in its per-request CPU under load too)."""
    before = tree_cpu_seconds(pids)
    await asyncio.sleep(seconds)
    return (tree_cpu_seconds(pids) - before) / seconds * 1e3


def median_round(rounds: list[Round]) -> Round:
    """The median rate and, independently, the median CPU per request of ``rounds``."""
    return Round(statistics.median(r.rate for r in rounds), statistics.median(r.cpu_us for r in rounds))


async def leader_and_follower(nodes: list[Node], limit_s: float = 60.0) -> tuple[Node, Node]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        roles = [await n.role() for n in nodes]
        if roles.count("leader") == 1 and roles.count("follower") == len(nodes) - 1:
            leader = nodes[roles.index("leader")]
            return leader, next(n for n in nodes if n is not leader)
        await asyncio.sleep(0.1)
    raise TimeoutError("no single leader")


async def timed_registrations(url: str, prefix: str, count: int) -> tuple[float, list[float]]:
    """(registrations/s, latencies in ms) of ``count`` new subjects by WRITERS concurrent clients."""
    latencies: list[float] = []
    numbers = iter(range(count))
    async with aiohttp.ClientSession(headers={"Content-Type": CT}) as session:

        async def writer() -> None:
            for n in numbers:
                body = {"schema": schema_text(200_000 + n)}
                started = time.perf_counter()
                async with session.post(f"{url}/subjects/{prefix}-{n}-value/versions", json=body) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(await answer.text())
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        elapsed = time.perf_counter() - started
    return count / elapsed, latencies


async def first_write(url: str, subject: str, limit_s: float = 60.0) -> float:
    """Seconds until a registration through ``url`` is acknowledged (retrying)."""
    started = time.monotonic()
    async with aiohttp.ClientSession(headers={"Content-Type": CT}) as session:
        while time.monotonic() - started < limit_s:
            try:
                body = {"schema": schema_text(300_000)}
                async with session.post(f"{url}/subjects/{subject}/versions", json=body) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError("no write acknowledged after the leader was killed")


@dataclasses.dataclass
class ClusterFigures:
    direct_rate: float
    direct_p99: float
    forwarded_rate: float
    forwarded_p99: float
    takeovers: list[float]


async def bench_cluster(settings: Settings, workdir: Path) -> ClusterFigures:
    env = {**os.environ, "FLUX_KAFKA_BOOTSTRAP": settings.kafka_bootstrap}
    topic = bench_topic()
    session = ("--session-timeout-ms", str(SESSION_MS))
    first = Node(topic, env, workdir, *session)
    await wait_http(first.url + "/ready")
    nodes = [first, Node(topic, env, workdir, *session)]
    try:
        await wait_http(nodes[1].url + "/ready")
        leader, follower = await leader_and_follower(nodes)
        count = max(100, SUBJECTS // 2)
        direct_rate, direct = await timed_registrations(leader.url, "direct", count)
        forwarded_rate, forwarded = await timed_registrations(follower.url, "forwarded", count)
        takeovers = []
        for kill in range(TAKEOVERS):
            leader, follower = await leader_and_follower(nodes)
            leader.stop(signal.SIGKILL)
            takeovers.append(await first_write(follower.url, f"takeover-{kill}-value"))
            leader.start()
            await wait_http(leader.url + "/ready")
    finally:
        for node in nodes:
            node.stop()
    return ClusterFigures(
        direct_rate,
        statistics.quantiles(direct, n=100)[98],
        forwarded_rate,
        statistics.quantiles(forwarded, n=100)[98],
        takeovers,
    )


def verdict(ok: bool) -> str:
    return "meets target" if ok else "BELOW TARGET"


async def main() -> int:
    if "--quick" in sys.argv[1:]:
        quick()
    with tempfile.TemporaryDirectory(prefix="flux-bench-registry-") as tmp:
        print("starting the embedded stack (Kafka KRaft + registry) ...", flush=True)
        with ephemeral_stack(Path(tmp) / "stack", with_valkey=False) as stack:
            assert stack.registry_url is not None
            ours, ceiling = await bench_lookups(stack.registry_url)
            latencies = await bench_register(stack.registry_url)
            json_latencies = await bench_register(stack.registry_url, "JSON")
            replay, to_ready, bare = await bench_replay(stack.settings, Path(tmp))
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(CLIENT_PROCESSES, mp_context=spawn) as pool:
                scaled = [await bench_workers(stack.settings, Path(tmp), pool, n) for n in (1, 2)]
            cluster = await bench_cluster(stack.settings, Path(tmp))
    cuts = statistics.quantiles(latencies, n=100)
    json_cuts = statistics.quantiles(json_latencies, n=100)
    print()
    print(f"Flux Schema Registry benchmark ({os.cpu_count()} CPUs; client and server share them)")
    print(
        f"  id lookups/s        {ours:10,.0f}   bare aiohttp handler, same client: {ceiling:,.0f}/s "
        f"({ours / ceiling:.0%})   target >= 5,000: {verdict(ours >= 5000)}"
    )
    print(
        f"  register p50 / p99  {cuts[49]:8.2f} ms / {cuts[98]:.2f} ms over {SUBJECTS:,} new subjects "
        f"(max {max(latencies):.1f} ms)"
    )
    print(
        f"  JSON Schema p50/p99 {json_cuts[49]:8.2f} ms / {json_cuts[98]:.2f} ms over {SUBJECTS:,} new subjects "
        f"(max {max(json_latencies):.1f} ms)"
    )
    print(
        f"  replay {REPLAY_SCHEMAS:,} schemas  {replay:6.2f} s in the registry, {to_ready:.2f} s from process "
        f"start to /ready 200; bare consumer reading the same records: {bare:.2f} s   "
        f"target < 5 s: {verdict(to_ready < 5)}"
    )
    print(f"  --workers (load from {CLIENT_PROCESSES} client processes, {CONCURRENCY} connections each):")
    for f in scaled:
        print(
            f"    {f.workers} worker{'s' if f.workers > 1 else ' '}  GET /schemas/ids/{{id}} {f.by_id.rate:8,.0f}/s   "
            f"POST /subjects/{{s}} lookups {f.lookups.rate:8,.0f}/s   bare handler x{f.workers}: {f.bare.rate:8,.0f}/s   "
            f"lookup/bare {f.lookups.rate / f.bare.rate:.0%}   GET/POST {f.by_id.rate / f.lookups.rate:.2f}x "
            "(target <= 1.5x)"
        )
        print(
            f"               bare handler x{f.workers} answering the same POSTs (bodies read): "
            f"{f.bare_post.rate:8,.0f}/s   lookup/bare POST {f.lookups.rate / f.bare_post.rate:.0%}"
        )
        bare_per_core = f.bare_post.per_cpu_second
        per_core_text = (
            "n/a (no /proc)"
            if bare_per_core == 0
            else f"{f.lookups.per_cpu_second / bare_per_core:.0%} "
            f"(target >= 100%: {verdict(f.lookups.per_cpu_second >= bare_per_core)})"
        )
        print(
            f"               per server CPU-second: GET {f.by_id.per_cpu_second:8,.0f}   lookups "
            f"{f.lookups.per_cpu_second:8,.0f} ({f.lookups.cpu_us:.1f} us each)   bare GET "
            f"{f.bare.per_cpu_second:8,.0f}   bare POST {f.bare_post.per_cpu_second:8,.0f} "
            f"({f.bare_post.cpu_us:.1f} us each)   lookups per core / bare POST per core {per_core_text}"
        )
        print(
            f"               CPU with no load: node {f.idle_ms[0]:.1f} ms/s, bare handler {f.idle_ms[1]:.1f} ms/s "
            "(the node's Kafka clients; included in its CPU per request above)"
        )
    one, two = scaled
    print(
        f"    scaling 1 -> 2 workers: GET x{two.by_id.rate / one.by_id.rate:.2f}, "
        f"lookups x{two.lookups.rate / one.lookups.rate:.2f} (bare handler x{two.bare.rate / one.bare.rate:.2f})"
    )
    c = cluster
    print(
        f"  registrations ({WRITERS} clients): on the leader {c.direct_rate:7,.0f}/s p99 {c.direct_p99:.1f} ms; "
        f"through a follower {c.forwarded_rate:,.0f}/s p99 {c.forwarded_p99:.1f} ms "
        f"(forwarded/direct rate {c.forwarded_rate / c.direct_rate:.0%})"
    )
    t = c.takeovers
    print(
        f"  leader takeover over {len(t)} SIGKILLs ({SESSION_MS / 1000:.0f} s session): min {min(t):.2f} s, "
        f"median {statistics.median(t):.2f} s, max {max(t):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
