"""Benchmark of the BFF's fan-out on a real embedded stack (``make bench-bff``).

One run on this machine:

* a real stack (Kafka KRaft, Flux registry, Valkey) on ephemeral ports, schemas registered;
* the BFF in its own process (``python -m flux bff``), so its CPU and RSS are its own;
* a load generator in separate processes opening N lightweight clients: Engine.IO v4 framing over
  ``websockets`` (no Socket.IO client library, no compression), each subscribing to
  ``crypto.global`` and ``news.global``;
* this process producing ticker batches (Protobuf, registry serde) into Kafka at a set rate.

Reports delivered messages/s, end-to-end latency p50/p99 (event ``produced_at`` → client receipt,
same machine clock), BFF CPU and peak RSS, and hydration latency (connect start → first snapshot,
the news snapshot warmed into the cache before the clients arrive; measured by a process of its
own, one new client at a time, while the others receive tickers). "Receipt" is the kernel's
receive timestamp of the client socket (``SO_TIMESTAMPNS``), as for a client on its own machine;
the time the load generator got round to reading it, which adds its own scheduling delay on cores
it shares with the BFF, is printed beside it. Targets from the issue: 5,000
clients at 10 Hz with p99 <= 100 ms and RSS <= 500 MB; hydration p99 <= 50 ms with a warm cache.
The peer, measured in the same run on the same stack with the same load generator, is the same BFF
with ``FLUX_BFF_FANOUT=library``: python-socketio's own room emit (a queue and a writer task per
client) instead of Flux's prepared frames (ADR-017); the report prints both and the ratio.

``--instances N`` (N > 1; ``make bench-bff ARGS="--instances 2"``) measures scaling out: first the
one BFF as above, then N instances behind the dev stack's nginx balancer (``bff_instances.py``
beside this script: ``flux.devstack.bff_tier``, ADR-018), same clients, same rate, same stack.
The clients connect through nginx; each instance consumes every event itself and delivers it to
the clients it holds. Printed per instance: clients held (by session-id prefix, and its own
``flux_bff_connections``), delivered messages, CPU seconds and µs per delivered message, peak
RSS; nginx's own CPU; and the ratio of CPU per message with N instances to 1 instance, with and
without nginx. The peer is off in that mode unless ``--peer`` is given.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import socket
import struct
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bff_event_path import event_path_report  # beside this script (on sys.path when it runs)
from bff_instances import (
    BffTier,
    TierMeter,
    cpu_seconds,
    gauge,
    instance_figures,
    instance_report,
    raise_fd_limit,
    scaling_report,
    sum_metrics,
)
from confluent_kafka.schema_registry import SchemaRegistryClient
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from flux.bff.instance import instance_of
from flux.catalogue import TopicKind, load_catalogue
from flux.contracts import Article, NewsUpdated, Tick, TickerBatch
from flux.kafka.config import producer_config
from flux.kafka.producer import AsyncProducer
from flux.schema_tools.registration import register_history
from flux.schema_tools.subjects import load_subjects
from flux.serde import AsyncSerde
from flux.settings import Settings
from flux.testing.stack import ephemeral_stack

REPO = Path(__file__).resolve().parents[1]
PROBES = 30
PRODUCTS = ("BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "AVAX-USD", "LINK-USD")


# --------------------------------------------------------------------------- load generator process
_TEXT = Opcode.TEXT
# Linux: SO_TIMESTAMPNS (also the control message type), data = struct timespec. Not in `socket`.
_SO_TIMESTAMPNS = 35
_TIMESPEC = struct.Struct("qq")


class _TimestampedSocket:
    """A minimal transport over a connected socket that reads with the kernel's receive time.

    Every read is a ``recvmsg`` with ``SO_TIMESTAMPNS``: the time the kernel received the newest
    bytes of the read, so "client receipt" does not include the load generator's own scheduling
    delay on a machine it shares with the BFF (both figures are reported). Writes (handshake,
    subscribe, pongs) are tiny; a partial one waits for the socket to become writable.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, protocol: _Client) -> None:
        self._loop = loop
        self._sock = sock
        self._protocol = protocol
        self._pending = b""
        self._closed = False
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        loop.add_reader(sock.fileno(), self._read)

    def _read(self) -> None:
        try:
            data, ancillary, _flags, _addr = self._sock.recvmsg(1 << 18, 64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._close(exc)
            return
        if not data:
            self._close(None)
            return
        kernel_ms = time.time() * 1000
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                seconds, nanoseconds = _TIMESPEC.unpack(payload[: _TIMESPEC.size])
                kernel_ms = seconds * 1000 + nanoseconds / 1e6
        self._protocol.data_received(data, kernel_ms)

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        if self._pending:
            self._pending += data
            return
        try:
            sent = self._sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            self._close(exc)
            return
        if sent < len(data):
            self._pending = data[sent:]
            self._loop.add_writer(self._sock.fileno(), self._write_pending)

    def _write_pending(self) -> None:
        try:
            sent = self._sock.send(self._pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._close(exc)
            return
        self._pending = self._pending[sent:]
        if not self._pending:
            self._loop.remove_writer(self._sock.fileno())

    def is_closing(self) -> bool:
        return self._closed

    def abort(self) -> None:
        self._close(None)

    def _close(self, exc: Exception | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._sock.fileno())
        self._loop.remove_writer(self._sock.fileno())
        self._sock.close()
        self._protocol.connection_lost(exc)


class _Client:
    """One lightweight client: ``websockets``' sans-I/O protocol on :class:`_TimestampedSocket`.

    No Socket.IO client library and no task per client: the WebSocket handshake and frame parsing
    are the ``websockets`` library's, Engine.IO v4 / Socket.IO framing is done here by hand
    (open → "40" → subscribe to ``news.global`` and ``crypto.global``; answer pings).
    """

    def __init__(self, url: str, stats: dict[str, Any]) -> None:
        self.ws = ClientProtocol(parse_uri(url), max_size=2**22)
        self.stats = stats
        self.started = time.time()
        self.transport: _TimestampedSocket | None = None
        self.hydrated = False
        self.closing = False
        self.instance: dict[str, int] = {"delivered": 0}  # this client's instance's counts, from the open
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: _TimestampedSocket) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)

    def _send(self, text: str) -> None:
        self.ws.send_text(text.encode())
        self._flush()

    def data_received(self, data: bytes, kernel_ms: float) -> None:
        self.ws.receive_data(data)
        now_ms = time.time() * 1000
        stats = self.stats
        for event in self.ws.events_received():
            if not isinstance(event, Frame):  # the handshake response
                if getattr(event, "status_code", 0) != 101:
                    self._fail(f"handshake: HTTP {getattr(event, 'status_code', '?')}")
                continue
            if event.opcode is not _TEXT:
                continue
            message = event.data
            if message.startswith(b'42["crypto:ticker"'):
                at = message.find(b'"producedAt":')
                stats["delivered"] += 1
                self.instance["delivered"] += 1
                if stats["sample"]:
                    produced_ms = int(message[at + 13 : message.find(b",", at)])
                    stats["latency_ms"].append(kernel_ms - produced_ms)
                    stats["app_latency_ms"].append(now_ms - produced_ms)
            elif message == b"2":  # Engine.IO ping
                self._send("3")
            elif message.startswith(b'42["news"'):
                if not self.hydrated:
                    self.hydrated = True
                    stats["hydration_ms"].append(kernel_ms - self.started * 1000)
            elif message.startswith(b"0{"):  # Engine.IO open: the session id names the instance
                name = instance_of(json.loads(message[1:]).get("sid", "")) or "bff"
                self.instance = stats["instances"].setdefault(name, {"clients": 0, "delivered": 0})
                self._send("40")
            elif message.startswith(b"40"):  # Socket.IO connected
                self._send('421["subscribe",{"channel":"news.global"}]')
                self._send('422["subscribe",{"channel":"crypto.global"}]')
                stats["connected"] += 1
                self.instance["clients"] += 1
        self._flush()  # websockets answers WebSocket pings and closes by itself

    def _fail(self, reason: str) -> None:
        self.stats["errors"].append(reason[:200])
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closing:
            self.stats["errors"].append(f"connection lost: {exc or 'closed by the server'}"[:200])
        if not self.done.done():
            self.done.set_result(None)

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


async def _client(url: str, stats: dict[str, Any], stop: asyncio.Event) -> None:
    """Connect one :class:`_Client` and keep it until ``stop``."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (host, int(port))), 60)
    except Exception as exc:
        sock.close()
        stats["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
        return
    client = _Client(url, stats)
    client.connection_made(_TimestampedSocket(loop, sock, client))
    stop_wait = asyncio.ensure_future(stop.wait())
    await asyncio.wait([stop_wait, client.done], return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    client.close()


async def _loadgen(url: str, clients: int, control: Any, results: Any, probe: bool) -> None:
    stats: dict[str, Any] = {
        "connected": 0,
        "target": clients,
        "delivered": 0,
        "latency_ms": [],
        "app_latency_ms": [],
        "hydration_ms": [],
        "errors": [],
        "sample": False,
        "instances": {},  # instance name -> {"clients", "delivered"}
    }
    stop = asyncio.Event()
    tasks = []
    for start in range(0, clients, 250):
        for _ in range(min(250, clients - start)):
            tasks.append(asyncio.create_task(_client(url, stats, stop)))
        await asyncio.sleep(0.05)
    t0 = time.monotonic()
    while stats["connected"] + len(stats["errors"]) < clients and time.monotonic() - t0 < 120:  # noqa: ASYNC110 - counting sockets
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    results.put(
        {
            "phase": "connected",
            "connected": stats["connected"],
            "errors": stats["errors"][:5],
            "clients_by_instance": {name: c["clients"] for name, c in stats["instances"].items()},
        }
    )
    # Measure window: started and stopped by the parent.
    await asyncio.to_thread(control.get)
    stats["delivered"], stats["latency_ms"], stats["app_latency_ms"] = 0, [], []
    for counts in stats["instances"].values():
        counts["delivered"] = 0
    stats["sample"] = True
    window_start = time.monotonic()
    await asyncio.to_thread(control.get)
    window = time.monotonic() - window_start
    stats["sample"] = False
    results.put(
        {
            "phase": "window",
            "delivered": stats["delivered"],
            "window_s": window,
            "latency_ms": stats["latency_ms"],
            "app_latency_ms": stats["app_latency_ms"],
            "errors": stats["errors"][:5],
            "error_count": len(stats["errors"]),
            "delivered_by_instance": {name: c["delivered"] for name, c in stats["instances"].items()},
        }
    )
    probes: list[float] = []
    for _ in range(
        PROBES if probe else 0
    ):  # hydration under load: one connect at a time, tickers still flowing
        probe = {
            "connected": 0,
            "delivered": 0,
            "latency_ms": [],
            "app_latency_ms": [],
            "hydration_ms": [],
            "errors": [],
            "sample": False,
            "instances": {},
        }
        probe_stop = asyncio.Event()
        task = asyncio.create_task(_client(url, probe, probe_stop))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while not probe["hydration_ms"] and not probe["errors"]:  # noqa: ASYNC110 - one probe
                    await asyncio.sleep(0.001)
        probes.extend(probe["hydration_ms"])
        probe_stop.set()
        await task
    if probe:
        results.put({"phase": "probes", "hydration_ms": probes, "attempted": PROBES})
    else:  # keep the connections until the probes are done: mass disconnects would disturb them
        await asyncio.to_thread(control.get)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def loadgen_main(url: str, clients: int, control: Any, results: Any, probe: bool, *, nice: int = 0) -> None:
    """Entry point of one load generator process (``probe``: it also measures hydration)."""
    raise_fd_limit()
    if nice:
        os.nice(nice)
    asyncio.run(_loadgen(url, clients, control, results, probe))


# --------------------------------------------------------------------------------------- helpers
class _Inbox:
    """Messages from the load generator processes, taken by phase (they may arrive interleaved)."""

    def __init__(self, results: Any) -> None:
        self._results = results
        self._held: list[dict[str, Any]] = []

    async def take(self, phase: str, count: int, timeout_s: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while sum(1 for m in self._held if m["phase"] == phase) < count:
            remaining = max(0.1, deadline - time.monotonic())
            self._held.append(await asyncio.to_thread(self._results.get, True, remaining))
        taken = [m for m in self._held if m["phase"] == phase][:count]
        self._held = [m for m in self._held if all(m is not t for t in taken)]
        return taken


def _host_check_ms() -> float:
    """Best of five timings of a fixed pure-Python loop: how fast this host runs right now.

    On a shared host the same code runs measurably slower at times; printing this beside each
    run tells a slow host from a slow change.
    """
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _host_send_us() -> float:
    """Best of five: µs per 1 KB ``send`` over loopback TCP (the fan-out's dominant kernel cost)."""
    server = socket.create_server(("127.0.0.1", 0))
    sender = socket.create_connection(server.getsockname())
    receiver, _ = server.accept()
    payload, best = b"x" * 1024, float("inf")
    try:
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(200):
                sender.send(payload)
            best = min(best, (time.perf_counter() - started) / 200)
            received = 0
            while received < 200 * len(payload):
                received += len(receiver.recv(1 << 20))
    finally:
        for sock in (sender, receiver, server):
            sock.close()
    return best * 1e6


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _histogram_quantiles(
    text: str, label: str, metric: str = "flux_bff_e2e_latency_seconds"
) -> tuple[float, float]:
    """p50/p99 (bucket upper bounds, ms) of a histogram on the BFF's /metrics (default: produced_at → emit)."""
    buckets: list[tuple[float, float]] = []
    for line in text.splitlines():
        if line.startswith(metric + "_bucket") and label in line:
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), float(line.rsplit(" ", 1)[1])))
    if not buckets or buckets[-1][1] == 0:
        return float("nan"), float("nan")
    total = buckets[-1][1]

    def quantile(q: float) -> float:
        return next(bound for bound, count in buckets if count >= q * total) * 1000

    return quantile(0.5), quantile(0.99)


async def _metrics_text(base: str) -> str:
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(timeout=30) as http:
            return (await http.get(base + "/metrics")).text
    return ""


def _gc_counts(metrics_text: str) -> dict[str, float]:
    """Collections so far per generation, from the BFF's ``flux_process_gc_pause_seconds`` histogram."""
    return {
        line.split('generation="')[1][0]: float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith("flux_process_gc_pause_seconds_count")
    }


def _ticker(sequence: int, price_step: int) -> TickerBatch:
    now_ms = int(time.time() * 1000)
    ticks = [
        Tick(product_id=p, price=f"{1000 + i * 100 + price_step % 50}.{sequence % 100:02d}", time_ms=now_ms)
        for i, p in enumerate(PRODUCTS)
    ]
    return TickerBatch(batch_sequence=sequence, produced_at_ms=now_ms, source="bench", ticks=ticks)


def _news() -> NewsUpdated:
    now = datetime.now(UTC)
    return NewsUpdated(
        event_id=uuid.uuid4(),
        produced_at=now,
        source="bench",
        snapshot_hash=uuid.uuid4().hex,
        articles=[
            Article(
                id=str(i),
                title=f"Headline {i}",
                url=f"https://example.org/{i}",
                source="Bench",
                published_at=now,
            )
            for i in range(10)
        ],
    )


# ------------------------------------------------------------------------------------------ main
async def run(
    args: argparse.Namespace, settings: Settings, home: Path, *, fanout: str, instances: int = 1
) -> dict[str, Any]:
    """Measure ``instances`` BFF processes (``FLUX_BFF_FANOUT=fanout``; more than one behind nginx)
    under the load of ``args``; logs in ``home``."""
    register_history(SchemaRegistryClient(settings.registry_client_config()), load_subjects())
    host_check_ms, host_send_us = _host_check_ms(), _host_send_us()
    env = {
        **os.environ,
        "FLUX_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "FLUX_REGISTRY_URL": settings.registry_url,
        "FLUX_VALKEY_URL": settings.valkey_url,
        "FLUX_LOG_LEVEL": "WARNING",
        "FLUX_BFF_FANOUT": fanout,
    }
    tier = BffTier.start(instances, home, env, home / "bff.log")
    serde = AsyncSerde.from_settings(settings)
    sender = AsyncProducer(producer_config(settings, client_id="bench-bff", linger_ms=1))
    ticker_topic = next(t.name for t in load_catalogue().consumed_by("bff") if t.kind is TopicKind.STREAM)
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    loadgens: list[Any] = []
    try:
        base = tier.url
        await tier.wait_ready()
        news = _news()
        await sender.send(news.TOPIC, value=await serde.encode(news), key=b"global")  # warm the cache
        await asyncio.sleep(1.0)
        ws_url = base.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        workers = max(1, args.loadgen_processes)
        shares = [args.clients // workers + (i < args.clients % workers) for i in range(workers)]
        # The last process holds no clients: it only measures hydration, one new client at a time,
        # so a probe does not wait behind the thousands of clients a worker is serving.
        shares.append(0)
        controls = [ctx.Queue() for _ in shares]
        loadgens = [
            ctx.Process(
                target=loadgen_main,
                args=(ws_url, n, controls[i], results, i == len(shares) - 1),
                kwargs={"nice": 0 if i == len(shares) - 1 else args.loadgen_nice},  # probes: never niced
                daemon=True,
            )
            for i, n in enumerate(shares)
        ]
        for process in loadgens:
            process.start()
        inbox = _Inbox(results)
        connected_parts = await inbox.take("connected", len(loadgens), 180)
        connected = {
            "connected": sum(part["connected"] for part in connected_parts),
            "errors": [e for part in connected_parts for e in part["errors"]][:5],
        }
        clients_by_instance = _summed(part["clients_by_instance"] for part in connected_parts)
        print(f"  {connected['connected']}/{args.clients} clients connected", flush=True)

        stop = asyncio.Event()

        async def produce() -> int:
            sequence, interval = 0, 1.0 / args.rate
            next_at = time.monotonic()
            while not stop.is_set():
                sequence += 1
                batch = _ticker(sequence, sequence)
                value = await serde.encode(batch)
                sender.produce(ticker_topic, value=value, key=str(sequence).encode())
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            return sequence

        producing = asyncio.create_task(produce())
        await asyncio.sleep(args.warmup)
        meter = TierMeter(tier)
        cpu_start, gen_start = meter.cpu(), sum(cpu_seconds(p.pid) for p in loadgens)
        gc_before = _gc_counts(sum_metrics([await _metrics_text(i.url) for i in tier.instances]))
        for control in controls:
            control.put("start")
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.duration:
            meter.sample_rss()
            await asyncio.sleep(0.5)
        for control in controls:
            control.put("stop")
        elapsed = time.monotonic() - t0
        cpu_end, gen_end = meter.cpu(), sum(cpu_seconds(p.pid) for p in loadgens)
        load_average = os.getloadavg()[0]
        stop.set()
        batches = await producing
        instance_texts = [await _metrics_text(i.url) for i in tier.instances]
        metrics_text = sum_metrics(instance_texts)
        emit_p50, emit_p99 = _histogram_quantiles(metrics_text, 'event="crypto:ticker"')
        arrival_p50, arrival_p99 = _histogram_quantiles(
            metrics_text, 'event="crypto:ticker"', "flux_bff_arrival_latency_seconds"
        )
        fanout_p50, fanout_p99 = _histogram_quantiles(
            metrics_text, 'event="crypto:ticker"', "flux_bff_fanout_seconds"
        )
        gc_in_window = _gc_counts(metrics_text).get("2", 0.0) - gc_before.get("2", 0.0)
        _, gc_full_p99 = _histogram_quantiles(metrics_text, 'generation="2"', "flux_process_gc_pause_seconds")
        windows = await inbox.take("window", len(loadgens), 120)
        done = {
            "delivered": sum(w["delivered"] for w in windows),
            "window_s": max(w["window_s"] for w in windows),
            "latency_ms": [ms for w in windows for ms in w["latency_ms"]],
            "app_latency_ms": [ms for w in windows for ms in w["app_latency_ms"]],
            "errors": [e for w in windows for e in w["errors"]][:5],
            "error_count": sum(w["error_count"] for w in windows),
            "by_instance": _summed(w["delivered_by_instance"] for w in windows),
        }
        probes = (await inbox.take("probes", 1, 30 + 6 * PROBES))[0]
        for control in controls:
            control.put("finish")
        per_instance = instance_figures(
            meter,
            cpu_start,
            cpu_end,
            elapsed_s=elapsed,
            window_s=done["window_s"],
            clients=clients_by_instance,
            delivered=done["by_instance"],
            connections={
                i.name: gauge(text, "flux_bff_connections")
                for i, text in zip(tier.instances, instance_texts, strict=True)
            },
        )
        bffs = [r for r in per_instance if r["name"] in {i.name for i in tier.instances}]
        user_s = sum(cpu_end[r["name"]][0] - cpu_start[r["name"]][0] for r in bffs)
        system_s = sum(cpu_end[r["name"]][1] - cpu_start[r["name"]][1] for r in bffs)
        cpu_s, gen_s = user_s + system_s, gen_end - gen_start
        return {
            "instances": len(tier.instances),
            "per_instance": per_instance,
            "clients": connected["connected"],
            "rate_hz": args.rate,
            "batches": batches,
            "delivered_per_s": done["delivered"] / done["window_s"],
            "expected_per_s": connected["connected"] * args.rate,
            "latency_p50_ms": _pct(done["latency_ms"], 0.50),
            "latency_p99_ms": _pct(done["latency_ms"], 0.99),
            "latency_max_ms": max(done["latency_ms"], default=float("nan")),
            "app_latency_p50_ms": _pct(done["app_latency_ms"], 0.50),
            "app_latency_p99_ms": _pct(done["app_latency_ms"], 0.99),
            "hydration_p50_ms": _pct(probes["hydration_ms"], 0.50),
            "hydration_p99_ms": _pct(probes["hydration_ms"], 0.99),
            "bff_cpu_pct": 100.0 * cpu_s / elapsed,
            "bff_system_cpu_pct": 100.0 * system_s / elapsed,
            "bff_cpu_us_per_delivery": 1e6 * cpu_s / max(1.0, done["delivered"] * elapsed / done["window_s"]),
            "loadgen_cpu_pct": 100.0 * gen_s / elapsed,
            "loadgen_processes": workers,
            "load_average_1m": load_average,
            "host_check_ms": host_check_ms,
            "host_send_us": host_send_us,
            "emit_p50_ms": emit_p50,
            "emit_p99_ms": emit_p99,
            "arrival_p50_ms": arrival_p50,
            "arrival_p99_ms": arrival_p99,
            "fanout_p50_ms": fanout_p50,
            "fanout_p99_ms": fanout_p99,
            "gc_full_collections": gc_in_window,
            "gc_full_pause_p99_ms": gc_full_p99,
            "bff_peak_rss_mb": max(r["peak_rss_mb"] for r in bffs),  # per process: the target is
            "hydration_probes": f"{len(probes['hydration_ms'])}/{probes['attempted']}",
            "client_errors": done["error_count"],
            "sample_errors": done["errors"],
        }
    finally:
        for process in loadgens:
            if process.is_alive():
                process.terminate()
        tier.stop()
        await sender.aclose(wait_s=10.0)
        await serde.aclose()


def _summed(parts: Any) -> dict[str, int]:
    """Counts by instance name, added up over the load generator processes."""
    total: dict[str, int] = {}
    for part in parts:
        for name, count in part.items():
            total[name] = total.get(name, 0) + count
    return total


def _rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, value, note) lines of one measured BFF."""
    return [
        ("clients connected", f"{figures['clients']}", ""),
        (
            "delivered msgs/s",
            f"{figures['delivered_per_s']:,.0f}",
            f"offered {figures['expected_per_s']:,.0f}",
        ),
        (
            "e2e latency p50",
            f"{figures['latency_p50_ms']:.1f} ms",
            "produced_at → client's kernel received it",
        ),
        ("e2e latency p99", f"{figures['latency_p99_ms']:.1f} ms", "target <= 100 ms"),
        ("e2e latency max", f"{figures['latency_max_ms']:.1f} ms", ""),
        (
            "  read by load generator p50 / p99",
            f"{figures['app_latency_p50_ms']:.0f} / {figures['app_latency_p99_ms']:.0f} ms",
            "adds the generator's own delay on shared cores",
        ),
        (
            "BFF emit p50 / p99",
            f"{figures['emit_p50_ms']:.0f} / {figures['emit_p99_ms']:.0f} ms",
            "produced_at → room emit done (bucket bound)",
        ),
        (
            "  of which Kafka p50 / p99",
            f"{figures['arrival_p50_ms']:.0f} / {figures['arrival_p99_ms']:.0f} ms",
            "produced_at → decoded in the BFF (bucket bound)",
        ),
        (
            "  room emit p50 / p99",
            f"{figures['fanout_p50_ms']:.0f} / {figures['fanout_p99_ms']:.0f} ms",
            "one emit, written to every member (bucket bound)",
        ),
        (
            "hydration p50",
            f"{figures['hydration_p50_ms']:.1f} ms",
            f"connect → first snapshot, under load ({figures['hydration_probes']} probes answered)",
        ),
        ("hydration p99", f"{figures['hydration_p99_ms']:.1f} ms", "target <= 50 ms (warm cache)"),
        (
            "BFF CPU",
            f"{figures['bff_cpu_pct']:.0f} %",
            f"of one core ({figures['bff_system_cpu_pct']:.0f} % in the kernel)",
        ),
        ("BFF CPU per delivery", f"{figures['bff_cpu_us_per_delivery']:.1f} µs", ""),
        (
            "load generator CPU",
            f"{figures['loadgen_cpu_pct']:.0f} %",
            f"of one core, {figures['loadgen_processes']} processes ({os.cpu_count()} cores here)",
        ),
        ("machine load (1 min)", f"{figures['load_average_1m']:.1f}", "other work distorts figures"),
        (
            "host speed check",
            f"{figures['host_check_ms']:.1f} ms, {figures['host_send_us']:.1f} µs",
            "before the run: a fixed Python loop; one 1 KB loopback send (higher = slower host)",
        ),
        (
            "BFF full GC pauses",
            f"{figures['gc_full_collections']:.0f}, <= {figures['gc_full_pause_p99_ms']:.0f} ms",
            "gen-2 collections in the window; pause p99 (bucket bound)",
        ),
        ("BFF peak RSS", f"{figures['bff_peak_rss_mb']:.0f} MB", "target <= 500 MB"),
        ("client errors", f"{figures['client_errors']}", "; ".join(figures["sample_errors"])[:60]),
    ]


def _ratio(ours: float, peer: float, higher_is_better: bool) -> str:
    if not ours or not peer or math.isnan(ours) or math.isnan(peer):
        return ""
    better = ours / peer if higher_is_better else peer / ours
    return f"{better:.1f}x"


def _scaled(one: float, many: float, _higher_is_better: bool) -> str:
    """N instances / 1 instance, whichever way is better."""
    if not one or not many or math.isnan(one) or math.isnan(many):
        return ""
    return f"{many / one:.2f}x"


def _print_report(
    flux: dict[str, Any],
    peer: dict[str, Any] | None,
    *,
    titles: tuple[str, str, str] = ("Flux", "python-socketio", "Flux better"),
    ratio: Any = _ratio,
) -> None:
    """``flux`` beside ``peer`` (when measured) and ``ratio(flux, peer, higher_is_better)`` of the key rows."""
    ours = _rows(flux)
    theirs = _rows(peer) if peer else None
    ratios = {
        "delivered msgs/s": ("delivered_per_s", True),
        "e2e latency p50": ("latency_p50_ms", False),
        "e2e latency p99": ("latency_p99_ms", False),
        "BFF CPU per delivery": ("bff_cpu_us_per_delivery", False),
        "BFF peak RSS": ("bff_peak_rss_mb", False),
    }
    width = max(len(r[0]) for r in ours)
    header = f"  {'':<{width}}  {titles[0]:>14}"
    if theirs:
        header += f"  {titles[1]:>15}  {titles[2]:>11}"
    print(header)
    for index, (name, value, note) in enumerate(ours):
        line = f"  {name:<{width}}  {value:>14}"
        if theirs:
            key = ratios.get(name)
            shown = ratio(flux[key[0]], peer[key[0]], key[1]) if key and peer else ""
            line += f"  {theirs[index][1]:>15}  {shown:>11}"
        print(f"{line}  {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=10.0, help="ticker batches per second")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--loadgen-processes",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="load generator processes sharing the clients (so one Python process is not the bottleneck)",
    )
    parser.add_argument(
        "--loadgen-nice",
        type=int,
        default=0,
        help="niceness of the load generator processes: >0 gives the BFF the CPU first when they share cores",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help=(
            "BFF instances; more than 1 runs them behind the stack's nginx balancer (ADR-018) and first "
            "measures 1 instance with the same clients and rate, for the CPU-per-message ratio"
        ),
    )
    parser.add_argument(
        "--peer",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=(
            "also measure the peer: the same BFF with python-socketio's own fan-out (FLUX_BFF_FANOUT=library); "
            "default: on with 1 instance, off with --instances > 1"
        ),
    )
    args = parser.parse_args()
    if args.instances < 1:
        parser.error("--instances must be at least 1")
    if args.peer is None:
        args.peer = args.instances == 1
    print(
        "BFF event path, per event from Kafka bytes to the client dict (typed: the path before 2026-12-02):"
    )
    print("\n".join(event_path_report()))
    print(f"bench-bff: {args.clients} clients, {args.rate:g} Hz ticker batches, {args.duration:g}s window")
    print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    # (label, fanout, instances) of each measured run, in order.
    plan = [("Flux fan-out (prepared frames)", "prepared", 1)]
    if args.instances > 1:
        plan.append((f"{args.instances} instances behind nginx", "prepared", args.instances))
    if args.peer:
        plan.append(("peer: python-socketio's own room emit", "library", 1))
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="flux-bench-bff-") as tmp:
        home = Path(tmp)
        with ephemeral_stack(home / "stack") as stack:
            print(f"  stack up in {stack.startup_seconds:.1f}s", flush=True)
            for index, (label, fanout, instances) in enumerate(plan, 1):
                print(f"  [{index}/{len(plan)}] {label}" if len(plan) > 1 else f"  {label}", flush=True)
                figures.append(
                    asyncio.run(
                        run(args, stack.settings, home / f"run-{index}", fanout=fanout, instances=instances)
                    )
                )
    flux = figures[0]
    scaled = figures[1] if args.instances > 1 else None
    peer = figures[-1] if args.peer else None
    if scaled is None or peer is not None:  # with --instances > 1 and no peer, the table below has it
        print()
        _print_report(flux, peer)
    if scaled is not None:
        print()
        print(f"  Scaling out: the same load on 1 instance and on {args.instances} instances behind nginx")
        _print_report(
            flux, scaled, titles=("1 instance", f"{args.instances} instances", "N / 1"), ratio=_scaled
        )
        for label, run_figures in (("1 instance", flux), (f"{args.instances} instances", scaled)):
            print()
            print(f"  Per instance, {label} (measured window):")
            print("\n".join(instance_report(run_figures["per_instance"])))
        print()
        print("\n".join(scaling_report(flux["per_instance"], scaled["per_instance"])))
    print()
    print(
        json.dumps(
            {
                "flux": _public(flux),
                "instances": _public(scaled) if scaled else None,
                "peer": _public(peer) if peer else None,
            }
        )
    )
    return 0


def _public(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k != "sample_errors"}


if __name__ == "__main__":
    sys.exit(main())
