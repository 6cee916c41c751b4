"""The Socket.IO gateway end to end in-process: real server, real client, recorded commands."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
import socketio

from flux.bff.commands import CommandKind, CommandUnavailable
from flux.bff.config import BffSettings
from flux.bff.snapshot import Snapshot, Stream, now_ms
from tests.unit.bff.bff_unit_harness import Recorder, RunningBff, start_bff

Connect = Callable[..., Awaitable[Recorder]]


def weather(city_key: str, snapshot_id: str, produced_at: int | None = None) -> Snapshot:
    return Snapshot(
        Stream.WEATHER,
        city_key,
        snapshot_id,
        produced_at or now_ms(),
        {"cityKey": city_key, "id": snapshot_id},
    )


def news(snapshot_id: str, produced_at: int | None = None) -> Snapshot:
    return Snapshot(Stream.NEWS, "global", snapshot_id, produced_at or now_ms(), {"articles": [snapshot_id]})


async def test_location_update_joins_the_city_room_and_produces_a_command(
    bff: RunningBff, connect: Connect
) -> None:
    client = await connect()
    ack = await client.client.call("locationUpdate", {"city": "  New  York", "lat": "40.7", "lon": -74.0})
    assert ack == {
        "ok": True,
        "room": "weather.new york",
        "city": "New York",
        "hydrated": False,
        "coalesced": False,
    }
    [command] = bff.commands.sent
    assert command.kind is CommandKind.WEATHER_FETCH
    assert command.key == "new york"
    assert command.location is not None and command.location.lat == 40.7
    uuid.UUID(command.user_id)

    await bff.publish(weather("new york", "w1"))
    [update] = await client.wait_for("weather")
    assert set(update) == {"snapshotId", "producedAt", "data"}
    assert update["snapshotId"] == "w1"


async def test_moving_city_leaves_the_previous_room(bff: RunningBff, connect: Connect) -> None:
    client = await connect()
    await client.client.call("locationUpdate", {"city": "Paris", "lat": 48.8, "lon": 2.3})
    await client.client.call("locationUpdate", {"city": "Rome", "lat": 41.9, "lon": 12.5})
    await bff.publish(weather("paris", "p1"))
    await bff.publish(weather("rome", "r1"))
    [update] = await client.wait_for("weather")
    await asyncio.sleep(0.1)
    assert [u["snapshotId"] for u in client.of("weather")] == ["r1"]
    assert update["data"]["cityKey"] == "rome"


async def test_subscribe_hydrates_immediately_from_the_cache(bff: RunningBff, connect: Connect) -> None:
    await bff.publish(news("n1"))
    client = await connect()
    ack = await client.client.call("subscribe", {"channel": "news.global"})
    assert ack == {"ok": True, "channel": "news.global", "hydrated": ["news"]}
    [snapshot] = client.of("news")  # emitted before the ack
    assert snapshot["snapshotId"] == "n1"
    ack = await client.client.call("subscribe", {"channel": "crypto.global"})
    assert ack == {"ok": True, "channel": "crypto.global", "hydrated": []}


async def test_duplicates_and_stale_snapshots_reach_clients_once(bff: RunningBff, connect: Connect) -> None:
    client = await connect()
    await client.client.call("subscribe", {"channel": "news.global"})
    t = now_ms()
    assert await bff.publish(news("a", t))
    assert not await bff.publish(news("a", t))  # redelivered
    assert not await bff.publish(news("old", t - 10_000))  # older than what was sent
    assert await bff.publish(news("b", t + 1))
    await client.wait_for("news", 2)
    await asyncio.sleep(0.1)
    assert [s["snapshotId"] for s in client.of("news")] == ["a", "b"]


async def test_tickers_are_relayed_not_cached_and_deduplicated(bff: RunningBff, connect: Connect) -> None:
    batch = Snapshot(Stream.TICKER, "global", "7@1", now_ms(), {"ticks": [{"productId": "BTC-USD"}]})
    assert await bff.publish(batch)  # nobody listening yet
    client = await connect()
    ack = await client.client.call("subscribe", {"channel": "crypto.global"})
    assert ack["hydrated"] == []
    assert not await bff.publish(batch)
    assert await bff.publish(Snapshot(Stream.TICKER, "global", "8@2", now_ms(), {"ticks": []}))
    [received] = await client.wait_for("crypto:ticker")
    assert received["snapshotId"] == "8@2"


async def test_unsubscribe_stops_updates(bff: RunningBff, connect: Connect) -> None:
    client = await connect()
    await client.client.call("subscribe", {"channel": "stock.global"})
    assert (await client.client.call("unsubscribe", {"channel": "stock.global"}))["ok"]
    await bff.publish(Snapshot(Stream.STOCKS, "global", "s1", now_ms(), {}))
    await asyncio.sleep(0.1)
    assert client.of("stocks") == []


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("locationUpdate", {"city": 12, "lat": 0, "lon": 0}, "invalid_city"),
        ("locationUpdate", {"city": "x" * 3000, "lat": 0, "lon": 0}, "invalid_city"),
        ("locationUpdate", {"city": "Delhi", "lat": 100, "lon": 0}, "invalid_coordinates"),
        ("locationUpdate", "Delhi", "invalid_payload"),
        ("locationUpdate", None, "invalid_payload"),
        ("subscribe", {"channel": "weather.delhi"}, "unknown_channel"),
        ("subscribe", {"channel": ["crypto.global"]}, "invalid_payload"),
        ("refresh", {"domain": "everything"}, "unknown_domain"),
        ("hack", {"x": 1}, "unknown_event"),
    ],
)
async def test_invalid_payloads_get_error_acks_and_keep_the_connection(
    connect: Connect, event: str, payload: object, code: str
) -> None:
    client = await connect()
    ack = await client.client.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    assert "Traceback" not in ack["error"]["message"]
    assert client.client.connected
    assert (await client.client.call("subscribe", {"channel": "news.global"}))["ok"]


async def test_flooding_is_rate_limited_and_the_server_stays_up(bff: RunningBff, connect: Connect) -> None:
    client = await connect()
    acks = await asyncio.gather(
        *(client.client.call("subscribe", {"channel": "news.global"}) for _ in range(100))
    )
    codes = [a.get("error", {}).get("code") for a in acks if not a["ok"]]
    assert codes and set(codes) == {"rate_limited"}
    assert sum(a["ok"] for a in acks) <= bff.app.bff_settings.message_burst + 5
    other = await connect()
    assert (await other.client.call("subscribe", {"channel": "news.global"}))["ok"]


async def test_refreshes_are_coalesced_across_connections(bff: RunningBff, connect: Connect) -> None:
    first, second = await connect(), await connect()
    assert await first.client.call("refresh", {"domain": "news"}) == {
        "ok": True,
        "domain": "news",
        "coalesced": False,
    }
    assert (await second.client.call("refresh", {"domain": "news"}))["coalesced"] is True
    assert (await second.client.call("refresh", {"domain": "crypto:movers"}))["coalesced"] is False
    assert [c.kind for c in bff.commands.sent] == [CommandKind.NEWS_REFRESH, CommandKind.MOVERS_REFRESH]


async def test_per_connection_refresh_limit(connect: Connect) -> None:
    client = await connect()
    domains = ["news", "stocks", "crypto:topcoins", "crypto:movers", "news", "stocks"]
    acks = [await client.client.call("refresh", {"domain": d}) for d in domains]
    assert [a["ok"] for a in acks] == [True, True, True, False, False, False]
    assert acks[-1]["error"]["code"] == "rate_limited"


async def test_command_failure_is_an_unavailable_error_and_not_coalesced(
    bff: RunningBff, connect: Connect
) -> None:
    client = await connect()
    bff.commands.fail = True
    ack = await client.client.call("refresh", {"domain": "stocks"})
    assert ack["error"]["code"] == "unavailable"
    bff.commands.fail = False
    assert (await client.client.call("refresh", {"domain": "stocks"}))["coalesced"] is False


async def test_a_request_coalesced_onto_a_failing_send_gets_its_error_not_ok(
    bff: RunningBff, connect: Connect
) -> None:
    """Found by `flux chaos`: during a Kafka outage longer than the delivery timeout, requests
    coalesced onto a send that later failed were acknowledged ok and never got their update."""
    first, second = await connect(), await connect()
    release = asyncio.Event()

    async def slow_failure(command: object) -> None:
        await release.wait()
        raise CommandUnavailable("kafka is down")

    bff.commands.send = slow_failure  # type: ignore[method-assign]
    first_ack = asyncio.create_task(first.client.call("refresh", {"domain": "news"}))
    await asyncio.sleep(0.2)
    second_ack = asyncio.create_task(second.client.call("refresh", {"domain": "news"}))
    await asyncio.sleep(0.2)
    assert not second_ack.done()  # it waits for the command it rides on
    release.set()
    assert (await first_ack)["error"]["code"] == "unavailable"
    assert (await second_ack)["error"]["code"] == "unavailable"


async def test_oversized_messages_close_only_that_connection(bff: RunningBff, connect: Connect) -> None:
    big = await connect()
    small = await connect()
    await big.client.emit("locationUpdate", {"city": "x" * 10_000, "lat": 0, "lon": 0})
    async with asyncio.timeout(5):
        while big.client.connected:
            await asyncio.sleep(0.05)
    assert (await small.client.call("subscribe", {"channel": "news.global"}))["ok"]


async def test_health_ready_metrics(bff: RunningBff, connect: Connect) -> None:
    client = await connect()
    await client.client.call("subscribe", {"channel": "news.global"})
    await bff.publish(news("m1"))
    await client.wait_for("news")
    async with aiohttp.ClientSession() as http:
        async with http.get(bff.url + "/health") as r:
            assert r.status == 200
        async with http.get(bff.url + "/ready") as r:
            assert r.status == 200 and (await r.json())["ready"] is True
        async with http.get(bff.url + "/metrics") as r:
            text = await r.text()
    assert "flux_bff_connections 1.0" in text
    assert "flux_bff_rooms 1.0" in text
    assert 'flux_bff_emits_total{event="news"} 1.0' in text
    assert 'flux_bff_e2e_latency_seconds_count{event="news"} 1.0' in text
    assert 'flux_bff_arrival_latency_seconds_count{event="news"} 1.0' in text
    assert 'flux_bff_fanout_seconds_count{event="news"} 1.0' in text


async def test_token_auth_refuses_connections_without_the_token() -> None:
    running, runner = await start_bff(BffSettings(auth_token="s3cret"))
    try:
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                running.url, transports=["websocket"], auth={"token": "nope"}, wait_timeout=5
            )
        ok = socketio.AsyncClient(reconnection=False)
        await ok.connect(running.url, transports=["websocket"], auth={"token": "s3cret"}, wait_timeout=5)
        assert ok.connected
        await ok.disconnect()
    finally:
        await runner.cleanup()


async def test_cors_allowlist() -> None:
    running, runner = await start_bff(BffSettings(cors_origins=["https://good.example"]))
    try:
        async with aiohttp.ClientSession() as http:
            url = running.url + "/socket.io/?EIO=4&transport=polling"
            async with http.get(url, headers={"Origin": "https://good.example"}) as r:
                assert r.status == 200
                assert r.headers["Access-Control-Allow-Origin"] == "https://good.example"
            async with http.get(url, headers={"Origin": "https://evil.example"}) as r:
                assert r.status == 400
    finally:
        await runner.cleanup()


async def test_stale_ticker_batches_are_skipped(bff: RunningBff, connect: Connect) -> None:
    client = await connect()
    await client.client.call("subscribe", {"channel": "crypto.global"})
    stale = Snapshot(Stream.TICKER, "global", "1@1", now_ms() - 60_000, {"ticks": []})
    assert not await bff.publish(stale)
    assert bff.app.metrics.stale_tickers._value.get() == 1
    assert await bff.publish(Snapshot(Stream.TICKER, "global", "2@2", now_ms(), {"ticks": []}))
    [received] = await client.wait_for("crypto:ticker")
    assert received["snapshotId"] == "2@2"
