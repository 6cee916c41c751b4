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
  a bare consumer reading the same records.

Targets: >= 5,000 id lookups/s; replay of 10,000 schemas < 5 s. Prints a table; exits 0.
``--quick`` runs a small version (100 subjects, 1,000 schemas to replay, one short lookup round)
to check the benchmark itself in well under a minute.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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


def quick() -> None:
    """Shrink the run (``--quick``)."""
    global LOOKUP_SECONDS, ROUNDS, SUBJECTS, REPLAY_SCHEMAS
    LOOKUP_SECONDS, ROUNDS, SUBJECTS, REPLAY_SCHEMAS = 2.0, 1, 100, 1_000


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


async def hammer(url_for: Any, seconds: float) -> float:
    """Requests per second answered 200 by ``url_for(i)`` over ``seconds`` with CONCURRENCY clients."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    done = 0
    failures = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(w: int) -> None:
            nonlocal done, failures
            i = w
            while time.perf_counter() < deadline:
                async with session.get(url_for(i)) as response:
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
        raise RuntimeError(f"{failures} lookups failed")
    return done / elapsed


def run_bare_server(port: int) -> subprocess.Popen[bytes]:
    """A bare aiohttp app with one handler returning a fixed schema body (the HTTP ceiling)."""
    code = (
        "from aiohttp import web\n"
        f"body = {json.dumps(json.dumps({'schema': schema_text(1)}))}.encode()\n"
        "async def h(r): return web.Response(body=body, content_type='application/vnd.schemaregistry.v1+json')\n"
        "app = web.Application(); app.router.add_get('/schemas/ids/{id}', h)\n"
        f"web.run_app(app, host='127.0.0.1', port={port}, access_log=None, print=None)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code])


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
                await hammer(
                    lambda i: f"{registry_url}/schemas/ids/{ids[i % len(ids)]}", LOOKUP_SECONDS / ROUNDS
                )
            )
            bare_rounds.append(
                await hammer(lambda i: f"http://127.0.0.1:{port}/schemas/ids/{i}", LOOKUP_SECONDS / ROUNDS)
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
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
