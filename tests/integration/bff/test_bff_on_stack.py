"""The BFF on the real stack: Kafka in (registry serde), Socket.IO out, Valkey behind it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import valkey.asyncio as valkey_asyncio
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from flux.bff.snapshot import Stream
from flux.catalogue import load_catalogue
from flux.contracts import FetchWeather
from flux.devstack.stack import RunningStack
from flux.kafka.config import consumer_config
from flux.serde import AsyncSerde
from tests.integration.bff.bff_stack_harness import (
    EventProducer,
    Recorder,
    RunningBff,
    coins_event,
    domain_service,
    news_event,
    start_bff,
    ticker_batch,
    weather_event,
)

pytestmark = pytest.mark.integration

Connect = Callable[..., Awaitable[Recorder]]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_subscribe_hydrates_from_the_cache_and_updates_flow(
    bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    early = await connect(bff)
    assert (await early.client.call("subscribe", {"channel": "news.global"}))["ok"]
    title = unique("headline")
    await producer.send(news_event(title))
    live = await early.wait_for_title(title)
    assert isinstance(live["producedAt"], int)

    late = await connect(bff)
    ack = await late.client.call("subscribe", {"channel": "news.global"})
    assert ack["hydrated"] == ["news"]
    [hydrated] = late.of("news")  # arrived before the ack
    assert hydrated == live


async def test_duplicates_and_older_events_reach_clients_once(
    bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    client = await connect(bff)
    await client.client.call("subscribe", {"channel": "crypto.global"})
    # Subscribing hydrates from the cache, which may hold an earlier test's snapshot (shared Valkey).
    await asyncio.sleep(0.3)
    hydrated = len(client.of("crypto:topcoins"))
    first = coins_event(str(60_000 + uuid.uuid4().int % 1000))
    await producer.send(first)
    await producer.send(first)  # redelivery: same snapshot
    older = dataclasses.replace(coins_event("1.00"), produced_at=first.produced_at - timedelta(minutes=5))
    await producer.send(older)
    newest = coins_event("70000.50")
    await producer.send(newest)
    await client.wait_for("crypto:topcoins", hydrated + 2)
    await asyncio.sleep(0.5)
    updates = client.of("crypto:topcoins")[hydrated:]
    assert [u["snapshotId"] for u in updates] == [first.snapshot_hash, newest.snapshot_hash]
    assert updates[1]["data"]["coins"][0]["price"] == "70000.5"
    duplicates = bff.app.metrics.duplicates.labels("crypto:topcoins")._value.get()
    assert duplicates >= 2


async def test_ticker_batches_are_relayed_once(
    bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    client = await connect(bff)
    await client.client.call("subscribe", {"channel": "crypto.global"})
    base = uuid.uuid4().int % 1_000_000
    batches = [ticker_batch(base + i, f"{65000 + i}.5") for i in range(3)]
    for batch in batches:
        await producer.send(batch, key=str(batch.batch_sequence))
    await producer.send(batches[1], key=str(batches[1].batch_sequence))  # redelivered
    await client.wait_for("crypto:ticker", 3)
    await asyncio.sleep(0.5)
    received = client.of("crypto:ticker")
    assert sorted(r["data"]["batchSequence"] for r in received) == [b.batch_sequence for b in batches]
    assert received[0]["data"]["ticks"][0]["productId"] == "BTC-USD"
    # Tickers are never cached: a new subscriber is not hydrated with them.
    late = await connect(bff)
    assert (
        "crypto:ticker" not in (await late.client.call("subscribe", {"channel": "crypto.global"}))["hydrated"]
    )


async def test_location_update_produces_the_weather_command(
    stack: RunningStack, bff: RunningBff, connect: Connect
) -> None:
    topic = FetchWeather.TOPIC
    city = "Zürich"
    user = str(uuid.uuid4())
    client = await connect(bff, auth={"userId": user})
    ack = await client.client.call("locationUpdate", {"city": city, "lat": 47.37, "lon": "8.54"})
    assert ack["ok"] and ack["room"] == "weather.zürich"

    consumer = Consumer(
        consumer_config(stack.settings, group_id=unique("cmd-reader"), client_id="cmd-reader")
    )
    spec = load_catalogue().topic(topic)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(spec.partitions)])
    serde = AsyncSerde.from_settings(stack.settings)
    found = None
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while found is None and asyncio.get_running_loop().time() < deadline:
            msg = await asyncio.to_thread(consumer.poll, 0.5)
            if msg is None or msg.error():
                continue
            command = await serde.decode(FetchWeather, msg.value())
            if str(command.user_id) == user:
                found = (msg.key(), command)
    finally:
        consumer.close()
        await serde.aclose()
    assert found is not None
    key, command = found
    assert key == "zürich".encode()
    assert command.data.city == city and command.data.lat == 47.37 and command.data.lon == 8.54
    assert command.event.value == "locationUpdate"


async def test_weather_from_the_weather_service_reaches_the_city_room(
    stack: RunningStack, bff: RunningBff, connect: Connect, tmp_path: Path
) -> None:
    async with domain_service("weather", stack, tmp_path):
        client = await connect(bff)
        other_city = await connect(bff)
        await other_city.client.call("locationUpdate", {"city": "Oslo", "lat": 59.91, "lon": 10.75})
        ack = await client.client.call("locationUpdate", {"city": "  new   DELHI", "lat": 28.61, "lon": 77.2})
        assert ack["ok"] and ack["room"] == "weather.new delhi"
        [update] = await client.wait_for("weather", timeout=30)
        data = update["data"]
        assert data["cityKey"] == "new delhi" and data["status"] == "success"
        assert isinstance(data["observation"]["temperatureC"], float)
        assert update["producedAt"] <= int(datetime.now(UTC).timestamp() * 1000)
        await other_city.wait_for("weather", timeout=30)
        assert all(u["data"]["cityKey"] == "oslo" for u in other_city.of("weather"))


async def test_reconnect_is_hydrated_again(
    bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    city = unique("reconnectville").replace("-", " ").replace("0", "o")
    city = "".join(ch for ch in city if not ch.isdigit()) or "Reconnectville"
    first = await connect(bff)
    ack = await first.client.call("locationUpdate", {"city": city, "lat": 10, "lon": 10})
    key = ack["room"].removeprefix("weather.")
    await producer.send(weather_event(key, 21.5), key=key)
    [update] = await first.wait_for("weather")
    await first.client.disconnect()

    again = await connect(bff)
    ack = await again.client.call("locationUpdate", {"city": city, "lat": 10, "lon": 10})
    assert ack["hydrated"] is True
    [hydrated] = again.of("weather")
    assert hydrated == update
    assert hydrated["data"]["observation"]["temperatureC"] == 21.5


async def test_new_instance_warms_from_valkey(
    stack: RunningStack, bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    title = unique("warm")
    watcher = await connect(bff)
    await watcher.client.call("subscribe", {"channel": "news.global"})
    await producer.send(news_event(title))
    await watcher.wait_for_title(title)
    assert await bff.app.cache.flush(5.0)

    second = await start_bff(stack)
    try:
        client = await connect(second)
        ack = await client.client.call("subscribe", {"channel": "news.global"})
        assert ack["hydrated"] == ["news"]
        assert client.of("news")[0]["data"]["articles"][0]["title"] == title
    finally:
        await second.stop()


async def test_valkey_down_clients_keep_receiving_and_hydrating(
    stack: RunningStack, producer: EventProducer, connect: Connect, registered_schemas: None
) -> None:
    assert stack.valkey is not None, "the stack runs Valkey"
    bff = await start_bff(stack, valkey_timeout_seconds=0.1, breaker_reset_seconds=0.5)
    try:
        client = await connect(bff)
        await client.client.call("subscribe", {"channel": "stock.global"})
        await client.client.call("subscribe", {"channel": "news.global"})
        before = unique("before-outage")
        await producer.send(news_event(before))
        await client.wait_for_title(before)

        await asyncio.to_thread(stack.valkey.kill)
        during = unique("during-outage")
        await producer.send(news_event(during, datetime.now(UTC) + timedelta(milliseconds=1)))
        await client.wait_for_title(during)

        late = await connect(bff)  # hydration is served from memory
        started = asyncio.get_running_loop().time()
        ack = await late.client.call("subscribe", {"channel": "news.global"})
        assert ack["hydrated"] == ["news"]
        assert late.of("news")[0]["data"]["articles"][0]["title"] == during
        assert asyncio.get_running_loop().time() - started < 2.0
        miss = await late.client.call("locationUpdate", {"city": "Nowhere", "lat": 0, "lon": 0})
        assert miss["ok"] and miss["hydrated"] is False  # Valkey lookup failed fast, no error to the client
        await asyncio.sleep(0.3)
        failures = sum(bff.app.metrics.cache_failures.labels(op)._value.get() for op in ("get", "put"))
        assert failures >= 1
    finally:
        await asyncio.to_thread(stack.valkey.start)
        await asyncio.to_thread(stack.valkey.wait_ready)
        await bff.stop()
    # Valkey is back: writes resume (the breaker lets a probe through and closes).
    bff = await start_bff(stack, breaker_reset_seconds=0.5)
    try:
        title = unique("after-outage")
        watcher = await connect(bff)
        await watcher.client.call("subscribe", {"channel": "news.global"})
        await producer.send(news_event(title))
        await watcher.wait_for_title(title)
        assert await bff.app.cache.flush(5.0)
        store = valkey_asyncio.Valkey.from_url(stack.settings.valkey_url)
        try:
            keys = [k async for k in store.scan_iter(match="flux:bff:snapshot:*")]
            assert b"flux:bff:snapshot:news|global" in keys
        finally:
            await store.aclose()
    finally:
        await bff.stop()


async def dead_letters_with(
    stack: RunningStack, topic: str, marker: bytes, count: int
) -> list[dict[str, bytes]]:
    """Headers of the records in ``topic``'s dead-letter topic whose value contains ``marker``."""
    dlq = load_catalogue().dead_letter_for(topic)
    consumer = Consumer(
        consumer_config(stack.settings, group_id=unique("dlq-reader"), client_id="dlq-reader")
    )
    consumer.assign([TopicPartition(dlq, 0, OFFSET_BEGINNING)])
    parked: list[dict[str, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(parked) < count and asyncio.get_running_loop().time() < deadline:
            msg = await asyncio.to_thread(consumer.poll, 0.5)
            if msg is None or msg.error() or marker not in (msg.value() or b""):
                continue
            parked.append(dict(msg.headers() or []))
    finally:
        consumer.close()
    return parked


async def test_bad_records_go_to_the_dead_letter_topic(
    stack: RunningStack, bff: RunningBff, producer: EventProducer, connect: Connect
) -> None:
    topic = news_event("x").TOPIC
    marker = unique("garbage").encode()
    await producer.send_raw(topic, b"\x00\x00\x00\x00\x63" + marker)  # unknown schema id 99
    await producer.send_raw(topic, b"not confluent wire format " + marker)
    parked = await dead_letters_with(stack, topic, marker, 2)
    assert len(parked) == 2
    for headers in parked:
        assert headers["flux.dlq.original.topic"] == topic.encode()
        assert headers["flux.dlq.error.class"]
        assert int(headers["flux.dlq.original.offset"]) >= 0
        assert int(headers["flux.dlq.original.timestamp"]) > 0
    # The consumer kept going: a good event still arrives.
    client = await connect(bff)
    await client.client.call("subscribe", {"channel": "news.global"})
    title = unique("after-garbage")
    await producer.send(news_event(title))
    await client.wait_for_title(title)


async def test_an_unexpected_conversion_error_dead_letters_the_record_and_the_stream_flows_on(
    stack: RunningStack,
    bff: RunningBff,
    producer: EventProducer,
    connect: Connect,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in ``convert.py`` for one record must not stall every stream (one failure policy)."""
    from flux.bff import kafka_events

    real = kafka_events.to_snapshot
    bomb = unique("bomb")

    def exploding(contract: type, event: object) -> object:
        if bomb in repr(event):
            raise RuntimeError("a conversion bug")
        return real(contract, event)

    monkeypatch.setattr(kafka_events, "to_snapshot", exploding)
    client = await connect(bff)
    await client.client.call("subscribe", {"channel": "news.global"})
    await producer.send(news_event(bomb))
    after = unique("after-bomb")
    await producer.send(news_event(after))
    await client.wait_for_title(after)
    parked = await dead_letters_with(stack, news_event("x").TOPIC, bomb.encode(), 1)
    assert len(parked) == 1
    assert parked[0]["flux.dlq.error.class"] == b"RuntimeError"
    assert all(bomb not in json.dumps(data) for _, data in client.received)


async def test_invalid_payloads_and_floods_get_error_acks(bff: RunningBff, connect: Connect) -> None:
    client = await connect(bff)
    cases = [
        ("locationUpdate", {"city": ["Delhi"], "lat": 1, "lon": 2}, "invalid_city"),
        ("locationUpdate", {"city": "D" * 5000, "lat": 1, "lon": 2}, "invalid_city"),
        ("locationUpdate", {"city": "Delhi", "lat": "north", "lon": 2}, "invalid_coordinates"),
        ("subscribe", {"channel": "admin.global"}, "unknown_channel"),
        ("refresh", {"domain": 7}, "invalid_payload"),
    ]
    for event, payload, code in cases:
        ack = await client.client.call(event, payload)
        assert ack == {"ok": False, "error": {"code": code, "message": ack["error"]["message"]}}
    acks = await asyncio.gather(*(client.client.call("refresh", {"domain": "news"}) for _ in range(80)))
    assert any(a.get("error", {}).get("code") == "rate_limited" for a in acks)
    assert client.client.connected
    fresh = await connect(bff)
    assert (await fresh.client.call("subscribe", {"channel": "news.global"}))["ok"]


async def test_flux_watch_prints_live_updates(bff: RunningBff, producer: EventProducer) -> None:
    title = unique("watched")
    await producer.send(news_event(title))
    async with asyncio.timeout(10):
        while (snap := bff.app.cache.latest(Stream.NEWS, "global")) is None or title not in str(snap.data):
            await asyncio.sleep(0.05)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flux",
        "watch",
        "--url",
        bff.url,
        "--channel",
        "news.global",
        "--json",
        "--count",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    [line] = stdout.decode().splitlines()
    record = json.loads(line)
    assert record["event"] == "news"
    assert record["data"]["articles"][0]["title"] == title
