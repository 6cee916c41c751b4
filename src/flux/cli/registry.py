"""``flux registry``: serve the Flux Schema Registry, and look into any Confluent-compatible one.

- ``flux registry serve``: the Flux Schema Registry (Confluent v1 API) stored in a Kafka topic. The
  dev stack starts it as ``python -m flux registry serve --host 127.0.0.1 --port N`` and polls
  ``GET /ready`` until it answers 200 (the log is replayed; ``/health`` is liveness only).
  ``--workers N`` serves the port with N processes (:mod:`flux.registry.workers`).
- ``flux registry subjects|show|diff``: read the registry at ``FLUX_REGISTRY_URL``
  (:mod:`flux.cli.registry_inspect`, imported only when one of them runs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from flux.observability.logging import configure_logging
from flux.settings import get_settings

__all__ = ["USERS_ENV", "register", "registry_topic"]

USERS_ENV = "FLUX_REGISTRY_USERS"


def register(subparsers: Any) -> None:
    """Add ``flux registry ...`` to the ``flux`` command."""
    settings = get_settings()
    registry = subparsers.add_parser(
        "registry", help="the schema registry: serve it, or list subjects, show and diff versions"
    )
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
    serve.add_argument(
        "--follower",
        action="store_true",
        help="never stand for leader election: serve reads, forward writes to the elected leader",
    )
    serve.add_argument(
        "--primary-url",
        default=None,
        help="forward writes here until a leader is announced on the log (hint)",
    )
    serve.add_argument(
        "--advertised-url",
        default=None,
        help="URL other nodes forward writes to (default http://HOST:PORT, with --workers > 1 "
        "http://HOST:INTERNAL-PORT: it must reach this process, not the shared port)",
    )
    serve.add_argument(
        "--session-timeout-ms",
        type=int,
        default=10_000,
        help="a leader silent this long loses the lead (the failover time; default 10000)",
    )
    serve.add_argument(
        "--leader-wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a write waits for a reachable leader before 50004/50003 (default 10)",
    )
    serve.add_argument(
        "--auth-file",
        type=Path,
        default=None,
        help=f"basic-auth users, one username:password:read-only|read-write per line (or env {USERS_ENV})",
    )
    serve.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024, help="request body limit")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes serving --port (SO_REUSEPORT; default 1). Each replays the log and answers "
        "reads, lookups and compatibility checks; only this process may lead, and with N > 1 it "
        "advertises --internal-port, so forwarded writes reach it and never a worker",
    )
    serve.add_argument(
        "--internal-port",
        type=int,
        default=0,
        metavar="PORT",
        help="with --workers > 1: this process's private port on --host, the default advertised URL "
        "(http://HOST:PORT) other nodes and the workers forward writes to (default 0: a free port)",
    )
    serve.add_argument(
        "--cache-entries",
        type=int,
        default=10_000,
        metavar="N",
        help="answers kept per cache, per process: lookups by exact request (dropped whenever "
        "the state changes), encoded schema bodies by id (0 disables; default 10000)",
    )
    serve.add_argument(
        "--cache-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="BYTES",
        help="size bound of each answer cache (keys and answers; default 64 MiB)",
    )
    serve.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # SLOT,FDS: set by --workers
    serve.set_defaults(func=_serve)

    subjects = commands.add_parser("subjects", help="list the subjects of the registry at FLUX_REGISTRY_URL")
    subjects.add_argument("--prefix", metavar="P", default=None, help="only subjects starting with P")
    subjects.add_argument("--deleted", action="store_true", help="include soft-deleted subjects (marked)")
    subjects.set_defaults(func=_inspect("run_subjects"))

    show = commands.add_parser("show", help="one version of a subject: id, type, references, the schema")
    show.add_argument("subject", metavar="SUBJECT", help="e.g. the <topic>-value subject of a topic")
    show.add_argument(
        "version", metavar="VERSION", nargs="?", default="latest", type=_version, help="N or latest (default)"
    )
    show.set_defaults(func=_inspect("run_show"))

    diff = commands.add_parser(
        "diff",
        help="unified diff of two versions, and whether V2 is compatible with V1 at the subject's level",
    )
    diff.add_argument("subject", metavar="SUBJECT")
    diff.add_argument("v1", metavar="V1", type=_version, help="the older version (N or latest)")
    diff.add_argument("v2", metavar="V2", type=_version, help="the newer version (N or latest)")
    diff.set_defaults(func=_inspect("run_diff"))


def _version(text: str) -> str:
    """A subject version on the command line: a number from 1, or ``latest`` (``-1`` means latest)."""
    if text.lower() in ("latest", "-1"):
        return "latest"
    if text.isascii() and text.isdigit() and int(text) >= 1:
        return str(int(text))
    raise argparse.ArgumentTypeError(f"a version is a number from 1 or 'latest', not {text!r}")


def _inspect(name: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        from flux.cli import registry_inspect  # noqa: PLC0415 - keep `flux --help` fast

        result: int = getattr(registry_inspect, name)(args)
        return result

    return run


def registry_topic() -> str:
    """The catalogue's registry topic name."""
    from flux.registry.storage.topic import registry_topic_spec  # noqa: PLC0415 - keep `flux --help` fast

    try:
        return registry_topic_spec().name
    except LookupError as exc:
        raise SystemExit(str(exc)) from None


def _worker_command(args: argparse.Namespace, topic: str) -> tuple[str, ...]:
    """A worker's command line: this one's options (the serving process adds ``--port``,
    ``--primary-url`` and ``--worker``)."""
    command = [sys.executable, "-m", "flux", "registry", "serve", "--host", args.host, "--topic", topic]
    command += ["--leader-wait", str(args.leader_wait), "--max-body-bytes", str(args.max_body_bytes)]
    command += ["--cache-entries", str(args.cache_entries), "--cache-bytes", str(args.cache_bytes)]
    if args.auth_file is not None:
        command += ["--auth-file", str(args.auth_file)]
    return tuple(command)


def _serve(args: argparse.Namespace) -> int:
    from flux.registry.api.auth import UserTable  # noqa: PLC0415 - keep `flux --help` fast
    from flux.registry.server import ServerOptions, serve  # noqa: PLC0415
    from flux.registry.workers import parse_worker_spec  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings, service="registry")
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
        advertised_url=args.advertised_url,
        session_timeout_ms=args.session_timeout_ms,
        leader_wait_s=args.leader_wait,
        users=users,
        max_body_bytes=args.max_body_bytes,
        workers=args.workers,
        internal_port=args.internal_port,
        worker_command=_worker_command(args, topic) if args.workers > 1 else (),
        worker=parse_worker_spec(args.worker) if args.worker else None,
        cache_entries=args.cache_entries,
        cache_bytes=args.cache_bytes,
    )
    if args.workers < 1:
        raise SystemExit("--workers must be at least 1")
    asyncio.run(serve(options, settings))
    return 0
