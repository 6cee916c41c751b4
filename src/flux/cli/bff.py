"""``flux bff``: run one BFF instance (Socket.IO gateway + dashboard) in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from flux.settings import get_settings

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("bff", help="run the real-time gateway (Socket.IO + dashboard)")
    parser.add_argument("--host", default="0.0.0.0", help="interface to listen on (default: all)")
    parser.add_argument("--port", type=int, default=None, help="port (default: FLUX_BFF_PORT, 8000)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from flux.bff.app import BffApp, run_bff  # noqa: PLC0415 - keep `flux --help` fast
    from flux.observability.gc_pauses import GcPauseRecorder, tune_collector  # noqa: PLC0415
    from flux.observability.logging import configure_logging  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings, service="bff")
    port = args.port if args.port is not None else settings.bff_port

    async def serve() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        app = BffApp(settings)
        GcPauseRecorder(app.metrics.registry).install()
        tune_collector(app.bff_settings.gc_gen0_threshold)
        with contextlib.suppress(asyncio.CancelledError):
            await run_bff(app, args.host, port)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0
