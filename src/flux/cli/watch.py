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

__all__ = ["format_update", "register"]

_CHANNELS = ("crypto.global", "news.global", "stock.global")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("watch", help="print live updates from a BFF")
    parser.add_argument("--url", help="BFF base URL (default: http://127.0.0.1:FLUX_BFF_PORT)")
    parser.add_argument("--city", help="also watch this city's weather")
    parser.add_argument("--lat", type=float, default=0.0, help="latitude of --city")
    parser.add_argument("--lon", type=float, default=0.0, help="longitude of --city")
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
        if args.city:
            ack = await client.set_location(args.city, args.lat, args.lon)
            if not ack.ok:
                print(f"error: location {args.city!r}: {ack.error_message}", file=sys.stderr)
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
