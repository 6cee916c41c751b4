"""Helpers of the registry tests that run real nodes: their /health, waiting, the elected leader."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def health(process: Any) -> dict[str, Any]:
    """A node's ``/health`` body, or {} while it does not answer."""
    try:
        body: dict[str, Any] = httpx.get(process.url + "/health", timeout=2.0).json()
        return body
    except (httpx.HTTPError, ValueError):
        return {}


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether ``condition`` holds within ``seconds`` (polled every 50 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def the_leader(nodes: list[Any], seconds: float = 30.0) -> Any:
    """The one node of ``nodes`` whose ``/health`` says it leads (fails unless exactly one does)."""
    found: list[Any] = []

    def one() -> bool:
        found[:] = [n for n in nodes if health(n).get("role") == "leader"]
        return len(found) == 1

    assert eventually(one, seconds), f"no single leader: {[health(n) for n in nodes]}"
    return found[0]
