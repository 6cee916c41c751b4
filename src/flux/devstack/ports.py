"""Port checks: find free ephemeral ports and refuse taken ones with a clear error."""

from __future__ import annotations

import socket

from flux.devstack.errors import DevStackError

__all__ = ["ensure_port_free", "free_port", "port_open"]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port the OS considers free right now (for tests on ephemeral ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, component: str, setting: str, host: str = "127.0.0.1") -> None:
    """Raise :class:`DevStackError` naming the setting to change when ``port`` is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise DevStackError(
                f"{component}: port {port} on {host} is already in use by another process. "
                f"Stop that process or choose another port with {setting}=<port>."
            ) from None
