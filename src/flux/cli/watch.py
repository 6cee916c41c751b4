"""``flux watch``: connect to a BFF and print live updates in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from flux.settings import get_settings

__all__ = ["format_update", "register", "resolve_city"]

_CHANNELS = ("crypto.global", "news.global", "stock.global")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("watch", help="print live updates from a BFF")
    parser.add_argument("--url", help="BFF base URL (default: http://127.0.0.1:FLUX_BFF_PORT)")
    parser.add_argument(
        "--city", help="also watch this city's weather (found in the offline gazetteer: 'Delhi', 'Paris, US')"
    )
    parser.add_argument("--lat", type=float, help="latitude of --city (default: the gazetteer's)")
    parser.add_argument("--lon", type=float, help="longitude of --city (default: the gazetteer's)")
    parser.add_argument(
        "--channel",
        action="append",
        choices=_CHANNELS,
        help="channel to subscribe to (repeatable; default: all three)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per update")
    parser.add_argument("--count", type=int, default=0, help="exit after this many updates (0 = never)")
    parser.add_argument("--token", help="auth token, when the BFF requires one")
    parser.set_defaults(func=_run)


def resolve_city(name: str, lat: float | None, lon: float | None) -> tuple[str, float, float]:
    """``(city, lat, lon)`` for ``--city``: the gazetteer's place, unless both coordinates are given.

    Raises:
        ValueError: The city is not in the gazetteer (the message suggests close names), or only one
            coordinate was given.
    """
    if (lat is None) != (lon is None):
        raise ValueError("give both --lat and --lon, or neither (the gazetteer finds them)")
    if lat is not None and lon is not None:
        return name, lat, lon
    from flux.geo.gazetteer import GazetteerQueryError, load_gazetteer  # noqa: PLC0415 - read only when used

    gazetteer = load_gazetteer()
    try:
        city = gazetteer.lookup(name)
        if city is None:
            close = [m.city.label for m in gazetteer.search(name, 5)]
            hint = f"; did you mean: {'; '.join(close)}?" if close else "; give --lat and --lon"
            raise ValueError(f"unknown city {name!r}{hint}")
    except GazetteerQueryError as exc:
        raise ValueError(f"city {name[:64]!r}: {exc}") from None
    return gazetteer.place_name(city), city.lat, city.lon


def _money(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return "?"


def format_update(update: Any) -> str:
    """One human-readable line for an update (a :class:`flux.client.Update`)."""
    data = update.data
    kind = update.kind.value
    if kind == "weather":
        obs = data.get("observation") or {}
        if data.get("status") == "success" and obs:
            detail = f"{obs.get('city')}: {obs.get('temperatureC')}°C {obs.get('condition')}, {obs.get('humidityPct')}% rh"
        else:
            detail = f"{data.get('cityKey')}: error {(data.get('error') or {}).get('message')}"
    elif kind == "crypto:ticker":
        ticks = data.get("ticks") or []
        detail = "  ".join(f"{t.get('productId')} {_money(t.get('price'))}" for t in ticks[:6])
        if len(ticks) > 6:
            detail += f"  (+{len(ticks) - 6})"
    elif kind == "crypto:topcoins":
        detail = "  ".join(
            f"{c.get('symbol')} {_money(c.get('price'))}" for c in (data.get("coins") or [])[:5]
        )
    elif kind == "crypto:movers":
        gain = [
            f"{m.get('symbol')} {m.get('changePct24h', 0):+.1f}%" for m in (data.get("gainers") or [])[:3]
        ]
        lose = [f"{m.get('symbol')} {m.get('changePct24h', 0):+.1f}%" for m in (data.get("losers") or [])[:3]]
        detail = "up " + ", ".join(gain) + " | down " + ", ".join(lose)
    elif kind == "news":
        articles = data.get("articles") or []
        detail = f"{len(articles)} articles; top: {articles[0].get('title') if articles else '-'}"
    elif kind == "stocks":
        perf = data.get("performers") or []
        detail = "  ".join(f"{p.get('symbol')} {p.get('changePct', 0):+.1f}%" for p in perf[:5])
    else:
        detail = json.dumps(data)[:120]
    stamp = datetime.fromtimestamp(update.received_at_ms / 1000).strftime("%H:%M:%S")
    return f"{stamp} {kind:<16} {detail}  ({update.latency_ms} ms)"


async def _watch(args: argparse.Namespace, out: TextIO) -> int:
    from flux.client import FluxClient, Update  # noqa: PLC0415

    url = args.url or f"http://127.0.0.1:{get_settings().bff_port}"
    place: tuple[str, float, float] | None = None
    if args.city:
        try:
            place = await asyncio.to_thread(resolve_city, args.city, args.lat, args.lon)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    elif args.lat is not None or args.lon is not None:
        print("error: --lat/--lon need --city", file=sys.stderr)
        return 2
    done = asyncio.Event()
    seen = 0

    def show(update: Update) -> None:
        nonlocal seen
        if args.json:
            record = {
                "event": update.kind.value,
                "snapshotId": update.snapshot_id,
                "producedAt": update.produced_at_ms,
                "latencyMs": update.latency_ms,
                "data": update.data,
            }
            out.write(json.dumps(record) + "\n")
        else:
            out.write(format_update(update) + "\n")
        out.flush()
        seen += 1
        if args.count and seen >= args.count:
            done.set()

    def connection(up: bool) -> None:
        if not args.json:
            out.write(("# connected to " + url if up else "# disconnected; reconnecting…") + "\n")
            out.flush()

    client = FluxClient(url, token=args.token)
    for kind in ("weather", "top_coins", "movers", "ticker", "news", "stocks"):
        getattr(client, f"on_{kind}")(show)
    client.on_connection(connection)
    try:
        await client.connect()
    except Exception as exc:
        print(f"error: cannot connect to {url}: {exc}", file=sys.stderr)
        return 1
    try:
        for channel in args.channel or _CHANNELS:
            ack = await client.subscribe(channel)
            if not ack.ok:
                print(f"error: subscribe {channel}: {ack.error_message}", file=sys.stderr)
        if place is not None:
            ack = await client.set_location(*place)
            if not ack.ok:
                print(f"error: location {place[0]!r}: {ack.error_message}", file=sys.stderr)
                return 2
        await done.wait()
    finally:
        await client.disconnect()
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_watch(args, sys.stdout))
    except KeyboardInterrupt:
        return 130
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
