"""``flux upstreams serve``: run the fake upstream servers (every provider's format, fault control).

Point a live-mode Flux at them with the ``FLUX_*`` variables the command prints at start-up, and
inject faults with ``POST /_control/faults {"mode": "5xx", "duration_s": 10}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from flux.settings import get_settings

__all__ = ["register"]

LOG = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``upstreams`` command group."""
    parser = subparsers.add_parser(
        "upstreams", help="fake upstream data providers for offline runs and tests"
    )
    commands = parser.add_subparsers(dest="upstreams_command", metavar="ACTION", required=True)
    serve = commands.add_parser(
        "serve", help="serve fake Open-Meteo, CoinGecko, Coinbase, RSS/Atom, Alpha Vantage"
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback)")
    serve.add_argument("--port", type=int, default=0, help="port (default: 0 = pick a free one)")
    serve.add_argument("--seed", type=int, default=None, help="simulation seed (default: FLUX_SIM_SEED)")
    serve.add_argument("--tick-rate", type=float, default=50.0, help="feed ticks per second per connection")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from flux.observability.logging import configure_logging  # noqa: PLC0415 - keep `flux --help` fast
    from flux.upstreams import FakeUpstreams  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings, service="upstreams")
    seed = args.seed if args.seed is not None else settings.sim_seed
    fake = FakeUpstreams(seed=seed, host=args.host, port=args.port, tick_rate_hz=args.tick_rate)

    async def serve() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await fake.start()
        try:
            for name, value in fake.environment().items():
                print(f"export {name}={value}", flush=True)
            print(f"# fault control: {fake.control_url}", flush=True)
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(serve())
    return 0
