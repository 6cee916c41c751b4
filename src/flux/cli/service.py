"""``flux service <name>``: run one domain service (weather, crypto, news, stock)."""

from __future__ import annotations

import argparse
import importlib
from typing import Any, Final

from flux.settings import get_settings

__all__ = ["SERVICES", "register"]

# name -> module with `build` and `SERVICE_NAME`; order gives the default probe port
# (FLUX_SERVICE_BASE_PORT + 1 for weather ... + 4 for stock, as the dev stack and compose use).
SERVICES: Final = {
    "weather": "flux.services.weather.service",
    "crypto": "flux.services.crypto.service",
    "news": "flux.services.news.service",
    "stock": "flux.services.stock.service",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("service", help="run one domain service")
    parser.add_argument("name", choices=sorted(SERVICES), help="which service")
    parser.add_argument("--host", default="127.0.0.1", help="address of /health, /ready, /metrics")
    parser.add_argument("--port", type=int, help="probe port (default FLUX_SERVICE_BASE_PORT + n)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from flux.services.runtime.process import serve  # noqa: PLC0415 - heavy imports only when serving

    settings = get_settings()
    module = importlib.import_module(SERVICES[args.name])
    port = args.port or settings.service_base_port + 1 + list(SERVICES).index(args.name)
    return serve(module.SERVICE_NAME, module.build, settings, host=args.host, port=port)
