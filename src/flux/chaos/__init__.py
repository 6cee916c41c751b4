"""Whole-system fault injection and soak (``flux chaos``, ``make chaos``).

The driver starts the embedded stack with every service (live mode against the
fake upstreams) and the BFF, runs simulated Socket.IO users, injects faults one
after another by their real mechanism (signals, restarts, the upstreams' fault
API, poison bytes in Kafka), then checks the platform's promises from what the
clients received and from Kafka itself, and writes a report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flux.chaos.profiles import PROFILES, ChaosProfile

if TYPE_CHECKING:
    from flux.chaos.driver import ChaosResult, run_chaos

__all__ = ["PROFILES", "ChaosProfile", "ChaosResult", "run_chaos"]


def __getattr__(name: str) -> Any:
    """The driver (Socket.IO clients, the stack, Kafka) loads on first use, not with the profiles:
    every ``flux`` command reads the profiles to build its ``--help``."""
    if name in ("ChaosResult", "run_chaos"):
        from flux.chaos import driver  # noqa: PLC0415

        return getattr(driver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
