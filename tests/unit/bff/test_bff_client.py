"""flux.client against an in-process BFF, and `flux watch` line formatting."""

from __future__ import annotations

import asyncio

from flux.bff.snapshot import Snapshot, Stream, now_ms
from flux.cli.watch import format_update
from flux.client import FluxClient, Update, UpdateKind
from tests.unit.bff.bff_unit_harness import RunningBff


def news(snapshot_id: str, produced_at: int) -> Snapshot:
    return Snapshot(Stream.NEWS, "global", snapshot_id, produced_at, {"articles": [{"title": snapshot_id}]})


async def wait_until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_typed_callbacks_hydration_and_errors(bff: RunningBff) -> None:
    await bff.publish(news("n1", now_ms()))
    received: list[Update] = []
    async with FluxClient(bff.url) as client:
        client.on_news(received.append)
        ack = await client.subscribe("news.global")
        assert ack.ok and ack.fields["hydrated"] == ["news"]
        await wait_until(lambda: len(received) == 1)
        assert received[0].kind is UpdateKind.NEWS
        assert received[0].snapshot_id == "n1"
        assert received[0].latency_ms >= 0
        bad = await client.subscribe("nope.global")
        assert not bad.ok and bad.error_code == "unknown_channel"
        location = await client.set_location("Lima", -12.05, -77.04)
        assert location.ok and location.fields["room"] == "weather.lima"
        assert bff.commands.sent[-1].user_id == client.user_id


async def test_client_restores_subscriptions_after_a_reconnect(bff: RunningBff) -> None:
    received: list[Update] = []
    states: list[bool] = []
    client = FluxClient(bff.url)
    client.on_news(received.append)
    client.on_connection(states.append)
    await client.connect(transports=("websocket",))
    try:
        await client.subscribe("news.global")
        await bff.publish(news("before", now_ms()))
        await wait_until(lambda: [u.snapshot_id for u in received] == ["before"])
        await client._sio.eio.ws.close()  # the transport drops (not a deliberate disconnect)
        await wait_until(lambda: states.count(True) == 2, timeout=10)
        await wait_until(lambda: len(bff.app.gateway.connections) == 1 and bff.app.gateway.room_count() == 1)
        await bff.publish(news("after", now_ms() + 1))
        await wait_until(lambda: [u.snapshot_id for u in received] == ["before", "after"])
    finally:
        await client.disconnect()


def test_watch_formats_each_kind() -> None:
    def update(kind: UpdateKind, data: dict[str, object]) -> Update:
        return Update(kind, "id", 1_000, data, 1_025)

    line = format_update(
        update(
            UpdateKind.WEATHER,
            {
                "cityKey": "delhi",
                "status": "success",
                "observation": {
                    "city": "Delhi",
                    "temperatureC": 31.5,
                    "condition": "Haze",
                    "humidityPct": 40,
                },
            },
        )
    )
    assert "Delhi: 31.5°C Haze" in line and "(25 ms)" in line
    ticker = format_update(
        update(UpdateKind.TICKER, {"ticks": [{"productId": "BTC-USD", "price": "65000.5"}]})
    )
    assert "BTC-USD 65,000.50" in ticker
    error = format_update(
        update(
            UpdateKind.WEATHER, {"cityKey": "x", "status": "error", "error": {"message": "city_not_found"}}
        )
    )
    assert "error city_not_found" in error


async def test_long_polling_fallback_works(bff: RunningBff) -> None:
    received: list[Update] = []
    client = FluxClient(bff.url)
    client.on_news(received.append)
    await client.connect(transports=("polling",))
    try:
        assert (await client.subscribe("news.global")).ok
        await bff.publish(news("polled", now_ms()))
        await wait_until(lambda: [u.snapshot_id for u in received] == ["polled"])
    finally:
        await client.disconnect()
