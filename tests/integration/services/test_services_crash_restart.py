"""Crash and restart of the weather service: no command lost, no duplicate snapshot ids.

The SIGKILL test kills a real subprocess mid-stream; a kill rarely lands in the
microseconds between "events acknowledged" and "offsets committed", so a second
test puts the group in exactly that state (commits undone) and restarts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import REGISTRY

from flux.contracts import FetchWeather, WeatherStatus, WeatherUpdated
from flux.contracts.keys import city_key
from flux.devstack.stack import RunningStack
from flux.kafka.config import admin_config, consumer_config
from flux.kafka.producer import AsyncProducer
from flux.serde import AsyncSerde
from flux.services.runtime import command_loop
from flux.services.weather import service as weather_service
from flux.settings import Settings

from .conftest import (
    Record,
    TopicReader,
    fetch_weather,
    free_port,
    in_process,
    send_commands,
    service_subprocess,
    wait_ready,
)

pytestmark = pytest.mark.integration

COMMANDS = 3000
PER_TICK = 100
CITIES = [(f"Crashtown {i}", -40.0 + 4 * i, -120.0 + 11 * i) for i in range(20)]


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


async def test_sigkill_mid_stream_then_restart_loses_nothing_and_duplicates_nothing(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    tmp_path: Path,
) -> None:
    events = reader(WeatherUpdated.TOPIC)
    log = tmp_path / "weather-service.log"
    port = free_port()
    process = service_subprocess("weather", stack.settings, port, log)
    commands = [fetch_weather(*CITIES[i % len(CITIES)]) for i in range(COMMANDS)]
    wanted = {c.command_id for c in commands}
    collected: list[Record] = []
    restarted: subprocess.Popen[bytes] | None = None
    try:
        await wait_ready(port, timeout_s=60)

        async def steady_stream() -> None:
            for start in range(0, COMMANDS, PER_TICK):
                await send_commands(producer, serde, commands[start : start + PER_TICK])
                await asyncio.sleep(0.05)

        sender = asyncio.create_task(steady_stream())
        # some events are out, the stream is still flowing: kill it without warning
        collected += await events.read(
            lambda rs: len(rs) >= COMMANDS // 4, serde=serde, contract=WeatherUpdated
        )
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        killed_after = len(collected)
        restarted = service_subprocess("weather", stack.settings, port, log)
        await sender
        collected += await events.read(
            lambda rs: wanted <= {r.decoded.correlation_id for r in collected + rs},
            serde=serde,
            contract=WeatherUpdated,
            timeout_s=90,
        )
        # anything still in flight (a late duplicate) arrives within a moment
        with contextlib.suppress(AssertionError):
            collected += await events.read(
                lambda rs: False, serde=serde, contract=WeatherUpdated, timeout_s=2
            )
        async with httpx.AsyncClient(timeout=5) as client:
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- service log ---\n{log_tail(log)}") from exc
    finally:
        for proc in (process, restarted):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    assert killed_after < COMMANDS, "the kill happened mid-stream"
    assert restarted is not None and restarted.returncode == 0, "SIGTERM is a clean shutdown"
    mine = [r for r in collected if r.decoded.correlation_id in wanted]
    assert {r.decoded.correlation_id for r in mine} == wanted, "no command lost"
    event_ids: dict[object, set[object]] = defaultdict(set)
    hashes: dict[object, set[str]] = defaultdict(set)
    for record in mine:
        event_ids[record.decoded.correlation_id].add(record.decoded.event_id)
        hashes[record.decoded.event_id].add(record.decoded.snapshot_hash)
        assert record.decoded.status is WeatherStatus.SUCCESS
    assert all(len(ids) == 1 for ids in event_ids.values()), "one event id per command"
    assert all(len(h) == 1 for h in hashes.values()), "an event id never carries two different snapshots"
    duplicates = len(mine) - len(wanted)
    assert duplicates == 0, f"{duplicates} redelivered commands were published twice"
    skipped = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("flux_service_commands_duplicate_total{")
    )
    print(
        f"events before the kill: {killed_after}; redelivered commands skipped after restart: {skipped:.0f}"
    )


def rewind_group(settings: Settings, group: str, topic: str, offsets: dict[int, int]) -> None:
    """Set the (stopped) group's committed offsets back: the state of a crash after publish, before commit."""
    admin = AdminClient(admin_config(settings))
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p, o) for p, o in offsets.items()])
    for future in admin.alter_consumer_group_offsets([request], request_timeout=10).values():
        future.result()


def log_ends(settings: Settings, topic: str) -> dict[int, int]:
    consumer = Consumer(consumer_config(settings, group_id="test-log-ends", client_id="test-log-ends"))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
        }
    finally:
        consumer.close()


async def test_commands_published_but_not_committed_are_not_published_again(
    stack: RunningStack, serde: AsyncSerde, producer: AsyncProducer, reader: Callable[..., TopicReader]
) -> None:
    topic = FetchWeather.TOPIC
    start = log_ends(stack.settings, topic)
    commands = [fetch_weather(*CITIES[i % len(CITIES)]) for i in range(200)]
    wanted = {c.command_id for c in commands}
    first = reader(WeatherUpdated.TOPIC)
    async with in_process(weather_service, stack.settings):
        await send_commands(producer, serde, commands)
        await first.read(
            lambda rs: wanted <= {r.decoded.correlation_id for r in rs}, serde=serde, contract=WeatherUpdated
        )
    # the service is gone; its commits are undone, as if it had died right after its events were acknowledged
    rewind_group(stack.settings, weather_service.SERVICE_NAME, topic, start)
    skipped_before = duplicates_skipped()
    again = reader(WeatherUpdated.TOPIC)
    marker = fetch_weather("After The Crash", 1.0, 1.0)
    async with in_process(weather_service, stack.settings):
        await send_commands(producer, serde, [marker])
        records = await again.read(
            lambda rs: any(r.decoded.correlation_id == marker.command_id for r in rs),
            serde=serde,
            contract=WeatherUpdated,
        )
    republished = [r for r in records if r.decoded.correlation_id in wanted]
    assert republished == [], f"{len(republished)} commands were published a second time"
    assert duplicates_skipped() - skipped_before == len(commands)


def duplicates_skipped() -> float:
    value = REGISTRY.get_sample_value(
        "flux_service_commands_duplicate_total",
        {"service": weather_service.SERVICE_NAME, "topic": FetchWeather.TOPIC},
    )
    return value or 0.0


def committed_offsets(settings: Settings, group: str, topic: str, partitions: list[int]) -> dict[int, int]:
    """The group's committed offsets (read without joining the group)."""
    consumer = Consumer(consumer_config(settings, group_id=group, client_id="test-committed"))
    try:
        wanted = [TopicPartition(topic, p) for p in partitions]
        return {tp.partition: tp.offset for tp in consumer.committed(wanted, timeout=10)}
    finally:
        consumer.close()


async def test_graceful_stop_commits_every_acknowledged_command(
    stack: RunningStack,
    serde: AsyncSerde,
    producer: AsyncProducer,
    reader: Callable[..., TopicReader],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Commits are gathered every COMMIT_INTERVAL_S; whatever landed since the last one is committed on stop."""
    # one periodic commit (the first landed batch), then none: the stop must commit everything else
    monkeypatch.setattr(command_loop, "COMMIT_INTERVAL_S", 3600.0)
    commands = [fetch_weather(f"Commit City {i}", 10.0 + i / 10, 20.0 + i / 10) for i in range(120)]
    events = reader(WeatherUpdated.TOPIC)
    acked = []
    async with in_process(weather_service, stack.settings):
        # one command first (its batch gets the one periodic commit), then the rest in later batches
        for wave in (commands[:1], commands[1:]):
            acked += await asyncio.gather(
                *[
                    producer.produce(c.TOPIC, value=await serde.encode(c), key=city_key(c.data.city).encode())
                    for c in wave
                ]
            )
            wanted = {c.command_id for c in wave}
            await events.read(
                lambda rs, wanted=wanted: wanted <= {r.decoded.correlation_id for r in rs},
                serde=serde,
                contract=WeatherUpdated,
            )
    last: dict[int, int] = {}
    for msg in acked:
        last[msg.partition() or 0] = max(last.get(msg.partition() or 0, -1), msg.offset() or 0)
    committed = committed_offsets(
        stack.settings, weather_service.SERVICE_NAME, FetchWeather.TOPIC, sorted(last)
    )
    behind = {p: (committed[p], o + 1) for p, o in last.items() if committed[p] < o + 1}
    assert behind == {}, f"answered commands left uncommitted (partition: committed, needed): {behind}"
