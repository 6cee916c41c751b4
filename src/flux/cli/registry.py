"""``flux registry serve``: the Flux Schema Registry (Confluent v1 API) stored in a Kafka topic.

The dev stack starts it as ``python -m flux registry serve --host 127.0.0.1 --port N`` and polls
``GET /health`` until it answers 200 (the log is replayed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from flux.observability.logging import configure_logging
from flux.settings import get_settings

__all__ = ["USERS_ENV", "register", "registry_topic"]

USERS_ENV = "FLUX_REGISTRY_USERS"


def register(subparsers: Any) -> None:
    """Add ``flux registry ...`` to the ``flux`` command."""
    settings = get_settings()
    registry = subparsers.add_parser("registry", help="the Flux Schema Registry (Confluent-compatible)")
    commands = registry.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    serve = commands.add_parser("serve", help="replay the registry topic and serve the REST API")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=settings.registry_port, help="port (default FLUX_REGISTRY_PORT / 8081)"
    )
    serve.add_argument(
        "--topic",
        default=None,
        help="registry topic (default: the catalogue's registry topic)",
    )
    serve.add_argument("--follower", action="store_true", help="serve reads; forward writes to --primary-url")
    serve.add_argument("--primary-url", default=None, help="primary registry URL (followers)")
    serve.add_argument(
        "--auth-file",
        type=Path,
        default=None,
        help=f"basic-auth users, one username:password:read-only|read-write per line (or env {USERS_ENV})",
    )
    serve.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024, help="request body limit")
    serve.set_defaults(func=_serve)


def registry_topic() -> str:
    """The catalogue's registry topic name."""
    from flux.registry.storage.topic import registry_topic_spec  # noqa: PLC0415 - keep `flux --help` fast

    try:
        return registry_topic_spec().name
    except LookupError as exc:
        raise SystemExit(str(exc)) from None


def _serve(args: argparse.Namespace) -> int:
    from flux.registry.api.auth import UserTable  # noqa: PLC0415 - keep `flux --help` fast
    from flux.registry.server import ServerOptions, serve  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings, service="registry")
    if args.primary_url and not args.follower:
        raise SystemExit("--primary-url only makes sense with --follower")
    users = None
    if args.auth_file is not None:
        users = UserTable.from_file(args.auth_file)
    elif os.environ.get(USERS_ENV):
        users = UserTable.from_text(os.environ[USERS_ENV])
    topic = args.topic or registry_topic()
    options = ServerOptions(
        host=args.host,
        port=args.port,
        topic=topic,
        follower=args.follower,
        primary_url=args.primary_url,
        users=users,
        max_body_bytes=args.max_body_bytes,
    )
    asyncio.run(serve(options, settings))
    return 0
