"""``flux upstreams serve`` as a real process: prints where it listens, answers, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import httpx


async def test_serve_prints_env_answers_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flux",
        "upstreams",
        "serve",
        "--port",
        "0",
        "--seed",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    exports: dict[str, str] = {}
    try:
        async with asyncio.timeout(30):
            while "FLUX_STOCKS_API_KEY" not in exports:
                line = (await process.stdout.readline()).decode()
                assert line, "the command exited before printing its settings"
                if line.startswith("export "):
                    name, _, value = line.removeprefix("export ").strip().partition("=")
                    exports[name] = value
        assert exports["FLUX_PROVIDER"] == "live"
        base = exports["FLUX_WEATHER_URL"]
        assert base.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(timeout=5) as client:
            health = await client.get(f"{base}/_control/health")
            assert health.json()["status"] == "ok"
            markets = await client.get(
                f"{base}/api/v3/coins/markets", params={"vs_currency": "usd", "per_page": 25}
            )
            assert len(markets.json()) == 25
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            code = await process.wait()
    assert code == 0
