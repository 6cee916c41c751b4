"""The flooding client, run in its own process so its load never slows the driver's measurements.

It connects like any user, then fires requests far above the BFF's per-connection
limits (refreshes, location updates and, once a second, a payload larger than
the BFF's message limit) and counts the acknowledgements by outcome.

Run: ``python -m flux.chaos.flood --url http://127.0.0.1:8000 --seconds 20 --out flood.json``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import socketio

__all__ = ["FloodResult", "main", "run_flood"]

OVERSIZED_BYTES: Final = 64 * 1024
FloodResult = dict[str, Any]


async def run_flood(url: str, seconds: float, rate: float) -> FloodResult:
    """Flood the BFF at ``url`` for ``seconds`` at ``rate`` requests/s; return the outcome counts."""
    outcomes: Counter[str] = Counter()
    disconnects = 0
    sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1.0)

    async def on_disconnect(*_: Any) -> None:
        nonlocal disconnects
        disconnects += 1

    sio.on("disconnect", on_disconnect)
    sio.on("*", lambda *_: None)
    await sio.connect(url, auth={"userId": str(uuid.uuid4())}, transports=["websocket"], wait_timeout=10)

    async def one(event: str, payload: Any) -> None:
        try:
            reply = await sio.call(event, payload, timeout=3)
        except Exception as exc:
            outcomes[f"no-ack:{type(exc).__name__}"] += 1
            return
        if isinstance(reply, dict) and reply.get("ok"):
            outcomes["ok"] += 1
        elif isinstance(reply, dict) and isinstance(reply.get("error"), dict):
            outcomes[str(reply["error"].get("code"))] += 1
        else:
            outcomes["other"] += 1

    tasks: set[asyncio.Task[None]] = set()
    started_at_ms = time.time() * 1000
    started = time.monotonic()
    sent = 0
    last_big = 0.0
    while (elapsed := time.monotonic() - started) < seconds:
        if not sio.connected:
            await asyncio.sleep(0.05)
            continue
        if elapsed - last_big >= 1.0:
            last_big = elapsed
            event, payload = "locationUpdate", {"city": "X" * OVERSIZED_BYTES, "lat": 0, "lon": 0}
            outcomes["oversized_sent"] += 1
        elif sent % 2:
            event, payload = "refresh", {"domain": "news"}
        else:
            event, payload = "locationUpdate", {"city": "Paris", "lat": 48.85, "lon": 2.35}
        sent += 1
        task = asyncio.create_task(one(event, payload))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await asyncio.sleep(1.0 / rate)
    ended_at_ms = time.time() * 1000
    if tasks:
        await asyncio.wait(tasks, timeout=3)
    with contextlib.suppress(Exception):
        await sio.disconnect()
    return {
        "sent": sent,
        "outcomes": dict(outcomes),
        "disconnects": disconnects,
        "started_at": started_at_ms,
        "ended_at": ended_at_ms,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flux.chaos.flood")
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = asyncio.run(run_flood(args.url, args.seconds, args.rate))
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
