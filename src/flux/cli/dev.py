"""``flux dev``: run the embedded stack (Kafka, registry, Valkey, services, BFF) without Docker.

The stack's processes log in the console format (readable in ``flux dev logs``) unless
``FLUX_LOG_FORMAT`` says otherwise; containers log JSON (the image sets ``FLUX_LOG_FORMAT=json``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from flux.devstack.errors import DevStackError
from flux.settings import LogFormat, Settings, get_settings

if TYPE_CHECKING:  # the stack (Kafka admin, registry client) loads only when a command runs
    from flux.devstack.stack import DevStack

__all__ = ["register"]


def register(subparsers: Any) -> None:
    dev = subparsers.add_parser("dev", help="embedded dev stack: up, down, status, logs, reset, fetch")
    commands = dev.add_subparsers(dest="dev_command", metavar="ACTION", required=True)

    up = commands.add_parser("up", help="start everything in the background and wait until healthy")
    up.add_argument("--infra-only", action="store_true", help="only Kafka, the registry and Valkey")
    up.set_defaults(func=_up)

    commands.add_parser("down", help="stop every process of the stack").set_defaults(func=_down)
    commands.add_parser("status", help="health of each component").set_defaults(func=_status)

    logs = commands.add_parser("logs", help="show the components' logs")
    logs.add_argument("component", nargs="?", help="one component (default: all)")
    logs.add_argument("-n", "--lines", type=int, default=40)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(func=_logs)

    reset = commands.add_parser("reset", help="stop the stack and delete its data (keeps downloaded jars)")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(func=_reset)

    commands.add_parser("fetch", help="download the Kafka jars (Maven Central)").set_defaults(func=_fetch)


def dev_settings(environ: dict[str, str] | None = None) -> Settings:
    """The settings of the dev stack: the environment's, in the console log format unless
    ``FLUX_LOG_FORMAT`` is set."""
    settings = get_settings()
    if "FLUX_LOG_FORMAT" in (os.environ if environ is None else environ):
        return settings
    return settings.model_copy(update={"log_format": LogFormat.CONSOLE})


def _stack(args: argparse.Namespace) -> DevStack:
    from flux.devstack.stack import DevStack  # noqa: PLC0415 - keep `flux --help` fast

    return DevStack.from_settings(dev_settings(), with_apps=not getattr(args, "infra_only", False))


def _print(line: str) -> None:
    print(line, flush=True)


def _guarded(action: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(action(args) or 0)
        except DevStackError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return run


@_guarded
def _up(args: argparse.Namespace) -> int:
    stack = _stack(args)
    print(f"==> starting Flux dev stack in {stack.home}", flush=True)
    running = stack.up(_print)
    print(f"==> Flux is up in {running.startup_seconds:.1f}s", flush=True)
    print(f"    Kafka bootstrap   {running.kafka_bootstrap}")
    if running.registry_url:
        print(f"    Schema Registry   {running.registry_url}")
    print(f"    Valkey            {running.valkey_url or 'disabled (not installed)'}")
    if running.bff_url:
        print(f"    Dashboard         {running.bff_url}/")
    if running.balancer is not None:
        instances = ", ".join(f"{name} {p.url}" for name, p in running.bff_instances.items())
        print(f"    BFF instances     {instances} (behind nginx on {running.balancer.url})")
    print("    status: flux dev status · logs: flux dev logs · stop: make down")
    return 0


@_guarded
def _down(args: argparse.Namespace) -> int:
    stack = _stack(args)
    print("==> stopping Flux dev stack", flush=True)
    stack.down(_print)
    return 0


@_guarded
def _status(args: argparse.Namespace) -> int:
    stack = _stack(args)
    statuses = stack.status()
    print(f"{'COMPONENT':<16}{'STATE':<20}{'PID':<9}URL")
    for s in statuses:
        print(f"{s.name:<16}{s.state:<20}{s.pid or '-':<9}{s.url}")
    if stack.valkey_missing:
        print("valkey          not installed       -        cache disabled")
    if any(s.degraded for s in statuses):
        print("degraded: running without a part it was asked to use; its /health says why")
    return 0 if all(s.ready for s in statuses) else 3


@_guarded
def _logs(args: argparse.Namespace) -> int:
    stack = _stack(args)
    components = [c for c in stack.components() if args.component in (None, c.name)]
    if not components:
        names = ", ".join(c.name for c in stack.components())
        print(f"error: no component {args.component!r} (known: {names})", file=sys.stderr)
        return 2
    for c in components:
        print(f"==> {c.name} ({c.process.log_path})")
        print(c.process.tail(args.lines))
    if args.follow:
        _follow([c.process.log_path for c in components])
    return 0


def _follow(paths: list[Any]) -> None:
    handles = {}
    for path in paths:
        handle = path.open("r", errors="replace") if path.exists() else None
        if handle is not None:
            handle.seek(0, 2)
            handles[path] = handle
    while True:
        for path, handle in handles.items():
            for line in handle.readlines():
                print(f"{path.stem:<15} {line}", end="", flush=True)
        time.sleep(0.3)


@_guarded
def _reset(args: argparse.Namespace) -> int:
    stack = _stack(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print("error: refusing to delete data without --yes (no terminal to ask)", file=sys.stderr)
            return 2
        answer = input(f"Delete all Flux dev data in {stack.home}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("aborted")
            return 1
    stack.reset()
    print(f"==> stopped and cleared {stack.home} (downloaded jars kept)")
    return 0


@_guarded
def _fetch(args: argparse.Namespace) -> int:
    stack = _stack(args)
    stack.jars.fetch()
    print(f"==> Kafka {stack.jars.version} jars ready in {stack.jars.libs_dir}")
    return 0
