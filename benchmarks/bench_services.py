"""Benchmark of the domain services on a real embedded Kafka + Flux registry (``make bench-services``).

Measures, in one run on this machine:

* **weather end to end**: ``FetchWeather`` commands produced to Kafka → the weather service (its own
  process, ``python -m flux service weather``, live mode against the fake Open-Meteo server on
  loopback, commands spread over a few cities so the coalescing cache absorbs them) → the
  ``WeatherUpdated`` event read back by this process. Reported as sustained commands/s (a burst
  produced as fast as possible, first command sent to last event read; the median of ``--repeat``
  bursts) and as latency p50/p99/max at fixed offered rates, and the service's CPU per command. Its peer, measured on the same broker in the same run, is a bare echo process
  (plain confluent-kafka consumer → producer, no serde, no handler, no commit wait) on the same two
  topics: the ceiling the two Kafka hops allow.
* **ticker ingest**: ticks/s that ``TickerStream`` (``TickerBatcher`` + registry Protobuf serde +
  Kafka producer, batches acknowledged) ingests from a fast in-memory tick source, next to a bare loop
  draining the same source; and ticks/s through the live path (fake Coinbase WebSocket feed →
  ``CoinbaseTickerStream`` JSON parsing → ``TickerStream`` → Kafka), next to the bare client reading
  the same feed (the feed's ceiling), and from the simulated market unpaced.

Targets: >= 2,000 weather commands/s with coalescing, p99 < 50 ms; >= 20,000 ticks/s. Prints a
table; exits 0 (figures are reported, never asserted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Consumer, Producer, TopicPartition

from flux.contracts import FetchTrigger, FetchWeather, Location, TickerBatch, WeatherUpdated
from flux.contracts.keys import city_key
from flux.devstack.ports import free_port
from flux.kafka.config import consumer_config, producer_config
from flux.kafka.dead_letter import DeadLetterPublisher
from flux.kafka.producer import AsyncProducer
from flux.kafka.recent_ids import RecentIds
from flux.serde import AsyncSerde
from flux.services.crypto import SimulatedCryptoProvider
from flux.services.crypto.coinbase import CoinbaseTickerStream
from flux.services.crypto.model import Tick
from flux.services.crypto.service import DEFAULT_PRODUCTS, TickerStream
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.publisher import EventPublisher
from flux.settings import LogFormat, Settings
from flux.testing.stack import ephemeral_stack

REPO = Path(__file__).resolve().parents[1]
CITIES = [(f"Bench City {i}", -60.0 + 3 * i, -170.0 + 8.5 * i) for i in range(40)]
TICK_PRODUCTS = [f"P{i:03d}-USD" for i in range(200)]


# ---------------------------------------------------------------------------------------------------
# weather: command produced -> event read back


def fetch_command(rng: random.Random) -> FetchWeather:
    city, lat, lon = rng.choice(CITIES)
    now = datetime.now(UTC)
    return FetchWeather(
        command_id=uuid.uuid4(),
        issued_at=now,
        event=FetchTrigger.LOCATION_UPDATE,
        user_id=uuid.uuid4(),
        data=Location(city=city, lat=lat, lon=lon),
        timestamp=now,
    )


class EventCollector:
    """A thread reading a topic from its current end, stamping each record with its arrival time."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.consumer = Consumer(
            {
                **consumer_config(settings, group_id=f"bench-{uuid.uuid4()}", client_id="bench-reader"),
                "fetch.wait.max.ms": 5,
            }
        )
        metadata = self.consumer.list_topics(topic, timeout=10)
        start = []
        for partition in metadata.topics[topic].partitions:
            _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            start.append(TopicPartition(topic, partition, high))
        self.consumer.assign(start)
        self.arrived: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            # what is fetched already, else wait for the first record (consume(n, t) waits for n or t)
            batch = self.consumer.consume(num_messages=10_000, timeout=0) or self.consumer.consume(1, 0.05)
            now = time.perf_counter()
            self.arrived.extend((now, msg.value() or b"") for msg in batch if not msg.error())

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Block until ``count`` records arrived (True) or ``timeout_s`` passed (False)."""
        deadline = time.perf_counter() + timeout_s
        while len(self.arrived) < count:
            if time.perf_counter() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.consumer.close()


@dataclass
class Run:
    sent: int
    received: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def command_producer(settings: Settings) -> Producer:
    """The producer every run sends its commands with, connected and with metadata before any timing.

    One for the whole benchmark: an idempotent librdkafka producer holds its records until it has a
    producer id, and when its first attempt finds no broker connection up yet it retries on a 500 ms
    timer. A fresh producer per run therefore sometimes stalled a run's first commands for half a
    second (both peers alike); the untimed warm-up runs absorb that once.
    """
    producer = Producer(producer_config(settings, client_id="bench-commands", linger_ms=1))
    producer.list_topics(FetchWeather.TOPIC, timeout=10)
    return producer


async def drive(
    settings: Settings,
    serde: AsyncSerde,
    producer: Producer,
    *,
    count: int,
    rate: float | None,
    correlation_of: Any,
    timeout_s: float = 120.0,
) -> Run:
    """Produce ``count`` commands (at ``rate``/s, or as fast as possible) and wait for every event."""
    rng = random.Random(7)
    commands = [fetch_command(rng) for _ in range(count)]
    encoded = [(await serde.encode(c), city_key(c.data.city).encode(), c.command_id) for c in commands]
    collector = EventCollector(settings, WeatherUpdated.TOPIC)
    sent_at: dict[uuid.UUID, float] = {}
    started = time.perf_counter()
    step = 0.005
    per_step = count if rate is None else max(1, round(rate * step))
    for i in range(0, count, per_step):
        for value, key, command_id in encoded[i : i + per_step]:
            sent_at[command_id] = time.perf_counter()
            while True:
                try:
                    producer.produce(FetchWeather.TOPIC, value, key)
                    break
                except BufferError:
                    producer.poll(0.001)
        producer.poll(0)
        if rate is not None:
            await asyncio.sleep(max(0.0, started + (i + per_step) / rate - time.perf_counter()))
    await asyncio.to_thread(producer.flush, 30)
    # Only this run's commands produce events on this stack: count arrivals while it runs and
    # decode afterwards, so the measuring process does not compete with the service for CPU.
    await asyncio.to_thread(collector.wait_for, count, timeout_s)
    await asyncio.sleep(0.5)  # stragglers (redeliveries) would show up as extra events
    collector.close()
    latencies: dict[uuid.UUID, float] = {}
    last = started
    for arrived, value in collector.arrived:
        command_id = await correlation_of(value)
        if command_id in sent_at and command_id not in latencies:
            latencies[command_id] = (arrived - sent_at[command_id]) * 1000
            last = max(last, arrived)
    return Run(count, len(latencies), last - started, list(latencies.values()))


async def wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    """Poll ``url`` until it answers 200 (raises when ``process`` exits first or time runs out)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not answering in time")


async def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    await wait_http(f"http://127.0.0.1:{port}/ready", process)


async def upstream_calls(port: int) -> float:
    """Weather upstream calls the service has made (its own ``/metrics``)."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("flux_service_upstream_latency_seconds_count") and 'call="weather.current"' in line
    )


async def gc_pauses(port: int) -> dict[str, tuple[float, float]]:
    """(collections, seconds paused) per generation, from the service's ``/metrics``."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    for line in text.splitlines():
        for suffix, into in (("_count{", counts), ("_sum{", sums)):
            if line.startswith("flux_process_gc_pause_seconds" + suffix):
                generation = line.split('generation="', 1)[1].split('"', 1)[0]
                into[generation] = float(line.rsplit(" ", 1)[1])
    return {g: (counts[g], sums.get(g, 0.0)) for g in counts}


def spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` from the repository root, its output appended to ``log``."""
    with log.open("ab") as sink:
        return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


ECHO_SCRIPT = """
import sys, signal
from confluent_kafka import Consumer, Producer
bootstrap, source, target = sys.argv[1:4]
running = True
def halt(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, halt)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-echo", "auto.offset.reset": "latest",
                     "enable.auto.commit": True, "fetch.wait.max.ms": 5})
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 1})
consumer.subscribe([source])
while running:
    for msg in consumer.consume(num_messages=500, timeout=0) or consumer.consume(1, 0.05):
        if not msg.error():
            while True:
                try:
                    producer.produce(target, msg.value(), msg.key())
                    break
                except BufferError:
                    producer.poll(0.001)
    producer.poll(0)
producer.flush(10)
consumer.close()
"""


def warm_broker(settings: Settings, seconds: float) -> int:
    """Produce and consume raw records for ``seconds`` so the broker's JVM is past JIT warm-up.

    A fresh broker answers produce and fetch requests several times slower for its first seconds of
    traffic; without this, whichever peer runs first is measured on a cold broker. The records go to
    the event topic (nothing in the benchmark consumes it as a group) and are read back at once.
    """
    producer = Producer(producer_config(settings, client_id="bench-warmup", linger_ms=1))
    reader = EventCollector(settings, WeatherUpdated.TOPIC)
    sent = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(200):
            try:
                producer.produce(WeatherUpdated.TOPIC, b"w" * 300, str(sent % 64).encode())
                sent += 1
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
        time.sleep(0.002)
    producer.flush(30)
    reader.wait_for(sent, 30)
    reader.close()
    return sent


async def median_burst(name: str, args: argparse.Namespace, run: Any) -> Run:
    """``args.repeat`` bursts; the one with the median rate stands for them (all rates printed):
    a single burst of the echo varied 2.8x between runs on one host."""
    runs = [await run() for _ in range(args.repeat)]
    print(f"  {name} bursts: " + ", ".join(f"{r.rate:,.0f}" for r in runs) + " cmd/s", flush=True)
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


async def bench_weather(settings: Settings, args: argparse.Namespace, log: Path) -> dict[str, Run]:
    results: dict[str, Run] = {}
    serde = AsyncSerde.from_settings(settings)
    command_topic = FetchWeather.TOPIC

    async def correlation_of_event(value: bytes) -> uuid.UUID | None:
        event = await serde.decode(WeatherUpdated, value)
        return event.correlation_id

    async def correlation_of_echo(value: bytes) -> uuid.UUID:
        return (await serde.decode(FetchWeather, value)).command_id

    warmed = await asyncio.to_thread(warm_broker, settings, args.warmup)
    commands = command_producer(settings)
    print(f"  broker warm-up: {warmed:,} records in {args.warmup:.0f} s", flush=True)
    # The fake Open-Meteo runs in its own process, so the load generator never slows its answers.
    upstream_port = free_port()
    upstreams = spawn(
        [sys.executable, "-m", "flux", "upstreams", "serve", "--port", str(upstream_port), "--seed", "3"], log
    )
    env = {
        **os.environ,
        "FLUX_PROVIDER": "live",
        "FLUX_WEATHER_URL": f"http://127.0.0.1:{upstream_port}",
        "FLUX_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "FLUX_REGISTRY_URL": settings.registry_url,
        "FLUX_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    service = spawn([sys.executable, "-m", "flux", "service", "weather", "--port", str(port)], log, env)
    try:
        await wait_http(f"http://127.0.0.1:{upstream_port}/_control/health", upstreams)
        await wait_ready(port, service)
        # warm-up (untimed): the service's caches and connections, the command producer's id
        await drive(settings, serde, commands, count=2_000, rate=None, correlation_of=correlation_of_event)
        calls = await upstream_calls(port)
        cpu_before, loop_before = cpu_seconds(service.pid), cpu_seconds(service.pid, service.pid)
        results["weather burst"] = await median_burst(
            "weather", args, lambda: drive(
                settings, serde, commands, count=args.burst, rate=None, correlation_of=correlation_of_event
            )
        )  # fmt: skip
        cpu_ms = (cpu_seconds(service.pid) - cpu_before) * 1000 / (args.burst * args.repeat)
        loop_ms = (cpu_seconds(service.pid, service.pid) - loop_before) * 1000 / (args.burst * args.repeat)
        print(f"  service CPU during the burst: {cpu_ms * 1000:.0f} us per command "
              f"(one core would allow ~{1000 / cpu_ms:,.0f} cmd/s), of which the event loop's thread "
              f"{loop_ms * 1000:.0f} us and librdkafka's threads {(cpu_ms - loop_ms) * 1000:.0f} us")  # fmt: skip
        for rate in args.rates:
            before = await gc_pauses(port)
            results[f"weather @{rate:.0f}/s"] = await drive(
                settings,
                serde,
                commands,
                count=int(rate * args.seconds),
                rate=rate,
                correlation_of=correlation_of_event,
            )
            after = await gc_pauses(port)
            print(f"  service GC during the run at {rate:.0f}/s: " + ", ".join(
                f"gen{g} {after[g][0] - before.get(g, (0, 0))[0]:.0f}x "
                f"{(after[g][1] - before.get(g, (0, 0))[1]) * 1000:.1f} ms" for g in sorted(after)
            ))  # fmt: skip
        calls = await upstream_calls(port) - calls
    finally:
        stop(service)
        stop(upstreams)
    sent = args.burst * args.repeat + sum(int(r * args.seconds) for r in args.rates)
    print(
        f"  upstream requests for {sent:,} commands: {calls:.0f} (cities: {len(CITIES)}, readings cached 30 s)"
    )

    echo = spawn(
        [sys.executable, "-c", ECHO_SCRIPT, settings.kafka_bootstrap, command_topic, WeatherUpdated.TOPIC],
        log,
    )
    try:
        await asyncio.sleep(5)  # group join
        await drive(settings, serde, commands, count=500, rate=None, correlation_of=correlation_of_echo)
        results["echo burst"] = await median_burst(
            "echo", args, lambda: drive(
                settings, serde, commands, count=args.burst, rate=None, correlation_of=correlation_of_echo
            )
        )  # fmt: skip
        for rate in args.rates:
            results[f"echo @{rate:.0f}/s"] = await drive(
                settings,
                serde,
                commands,
                count=int(rate * args.seconds),
                rate=rate,
                correlation_of=correlation_of_echo,
            )
    finally:
        stop(echo)
    commands.flush(30)
    await serde.aclose()
    return results


# ---------------------------------------------------------------------------------------------------
# ticker: fast stream -> TickerStream -> Kafka


def make_ticks(n: int) -> list[Tick]:
    rng = random.Random(5)
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        price = Decimal(f"{rng.uniform(1, 50000):.6f}")
        out.append(
            Tick(
                product_id=TICK_PRODUCTS[i % len(TICK_PRODUCTS)],
                price=price,
                best_bid=price,
                best_ask=price,
                volume_24h=Decimal("1234.5"),
                open_24h=None,
                time=now,
                trade_id=i,
                sequence=i,
            )
        )
    return out


async def fast_source(ticks: list[Tick], seconds: float, yield_every: int = 64) -> AsyncIterator[Tick]:
    """Cycle through ``ticks`` for ``seconds``, yielding to the loop like a socket read would."""
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        for tick in ticks:
            yield tick
            n += 1
            if n % yield_every == 0:
                await asyncio.sleep(0)


async def bare_loop(ticks: list[Tick], seconds: float) -> float:
    count = 0
    latest: dict[str, Tick] = {}
    started = time.perf_counter()
    async for tick in fast_source(ticks, seconds):
        latest[tick.product_id] = tick
        count += 1
    return count / (time.perf_counter() - started)


async def bare_feed(port: int, seconds: float) -> float:
    """Ticks/s the Coinbase adapter alone reads and parses from the fake feed (the feed's ceiling)."""
    stream = CoinbaseTickerStream(url=f"ws://127.0.0.1:{port}/ws")
    ticks = stream.ticks(DEFAULT_PRODUCTS)
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    async for _ in ticks:
        count += 1
        if time.perf_counter() > deadline:
            break
    await ticks.aclose()  # type: ignore[attr-defined]
    return count / (time.perf_counter() - started)


def cpu_seconds(pid: int, task: int | None = None) -> float:
    """User + system CPU seconds a process (or one of its threads) has used so far (Linux /proc)."""
    stat = Path(f"/proc/{pid}/stat" if task is None else f"/proc/{pid}/task/{task}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_context(settings: Settings, serde: AsyncSerde, producer: AsyncProducer) -> ServiceContext:
    return ServiceContext(
        service="bench-ticker",
        settings=settings,
        serde=serde,
        producer=producer,
        publisher=EventPublisher(producer, serde, "bench-ticker"),
        dead_letters=DeadLetterPublisher(producer, service="bench-ticker"),
        recent_commands=RecentIds(10, 1),
    )


async def run_stream(settings: Settings, source: Any, seconds: float) -> tuple[float, int, int]:
    """(ticks/s ingested, batches acknowledged, ticks in acknowledged batches) of a TickerStream."""
    serde = AsyncSerde.from_settings(settings)
    producer = AsyncProducer(producer_config(settings, client_id="bench-ticker"))
    await serde.codec(TickerBatch)
    stream = TickerStream(service_context(settings, serde, producer), source)
    halt = asyncio.Event()
    started = time.perf_counter()
    runner = asyncio.create_task(stream.run(halt))
    await asyncio.sleep(seconds)
    halt.set()
    await runner
    elapsed = time.perf_counter() - started
    await producer.aclose()
    await serde.aclose()
    return stream.batcher.ingested / elapsed, stream.published, stream.batcher.sequence


async def bench_ticker(settings: Settings, seconds: float, log: Path) -> dict[str, tuple[float, int, int]]:
    ticks = make_ticks(20_000)
    results = {"bare loop": (await bare_loop(ticks, seconds), 0, 0)}
    results["TickerStream (in-memory source)"] = await run_stream(
        settings, lambda: fast_source(ticks, seconds + 5), seconds
    )
    market = SimulatedCryptoProvider(seed=1, tick_rate_hz=0)  # unpaced: as fast as it can generate
    results["TickerStream (simulated market, unpaced)"] = await run_stream(
        settings, lambda: market.ticks(DEFAULT_PRODUCTS), seconds
    )
    port = free_port()
    feed = spawn(
        [sys.executable, "-m", "flux", "upstreams", "serve", "--port", str(port), "--tick-rate", "100000"],
        log,
    )
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{port}/_control/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        results["bare WebSocket client (parse only)"] = (await bare_feed(port, seconds), 0, 0)
        coinbase = CoinbaseTickerStream(url=f"ws://127.0.0.1:{port}/ws")
        results["TickerStream (fake Coinbase WebSocket)"] = await run_stream(
            settings, lambda: coinbase.ticks(DEFAULT_PRODUCTS), seconds
        )
    finally:
        stop(feed)
    return results


# ---------------------------------------------------------------------------------------------------


def report(weather: dict[str, Run], ticker: dict[str, tuple[float, int, int]]) -> None:
    print("\nweather end to end (command produced -> event read back)")
    print(f"  {'run':<16}{'sent':>8}{'answered':>10}{'cmd/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, run in weather.items():
        print(
            f"  {name:<16}{run.sent:>8}{run.received:>10}{run.rate:>10.0f}"
            f"{run.pct(0.5):>9.1f}{run.pct(0.99):>9.1f}{max(run.latencies_ms, default=float('nan')):>9.1f}"
        )
    burst, echo = weather["weather burst"], weather["echo burst"]
    top = max(float(name.split("@")[1].removesuffix("/s")) for name in weather if "@" in name)
    paced, echo_paced = weather[f"weather @{top:.0f}/s"], weather[f"echo @{top:.0f}/s"]
    print(f"  service / bare echo: throughput {burst.rate / echo.rate:.2f}x, p99 at {top:.0f}/s "
          f"{paced.pct(0.99) / echo_paced.pct(0.99):.2f}x")  # fmt: skip
    print(f"  target >= 2,000 cmd/s: {'met' if burst.rate >= 2000 else 'MISSED'}; "
          f"p99 < 50 ms at {top:.0f}/s: {'met' if paced.pct(0.99) < 50 else 'MISSED'}")  # fmt: skip
    print("\nticker ingest")
    print(f"  {'pipeline':<40}{'ticks/s':>10}{'batches acked':>15}")
    for name, (rate, acked, _) in ticker.items():
        print(f"  {name:<40}{rate:>10.0f}{acked if acked else '-':>15}")
    bare = ticker["bare loop"][0]
    stream = ticker["TickerStream (in-memory source)"][0]
    live = ticker["TickerStream (fake Coinbase WebSocket)"][0]
    feed = ticker["bare WebSocket client (parse only)"][0]
    print(
        f"  TickerStream / bare loop: {stream / bare:.2f}x; over the WebSocket: {live / feed:.2f}x the bare client"
    )
    print(f"  target >= 20,000 ticks/s: in-memory {'met' if stream >= 20000 else 'MISSED'}, "
          f"WebSocket {'met' if live >= 20000 else 'MISSED'}")  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="flux-bench-services-") as tmp:
        log = Path(tmp) / "processes.log"
        print("starting an embedded stack (Kafka KRaft + registry) ...", flush=True)
        with ephemeral_stack(Path(tmp) / "stack", with_valkey=False) as running:
            settings = running.settings.model_copy(update={"log_format": LogFormat.JSON})
            print(
                f"  ready in {running.startup_seconds:.1f}s; {os.cpu_count()} CPUs; "
                f"load average {os.getloadavg()[0]:.1f} (other work on this machine skews the figures)",
                flush=True,
            )
            weather = await bench_weather(settings, args, log)
            ticker = await bench_ticker(settings, args.seconds, log)
            report(weather, ticker)
            print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
            if args.verbose:
                print(log.read_text(errors="replace")[-4000:])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=20_000, help="commands in the throughput run")
    parser.add_argument(
        "--repeat", type=int, default=3, help="throughput runs of the service and of the echo (median kept)"
    )
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[500.0, 1_000.0, 2_000.0],
        help="offered commands/s of the latency runs (comma-separated)",
    )
    parser.add_argument("--seconds", type=float, default=6, help="length of each paced run and ticker run")
    parser.add_argument("--warmup", type=float, default=15, help="seconds of raw traffic to warm the broker")
    parser.add_argument("--verbose", action="store_true", help="print the tail of the processes' logs")
    asyncio.run(main(parser.parse_args()))
