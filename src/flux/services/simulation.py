"""Building blocks of the offline simulated providers: seeded noise, geometric random walks, prices.

Everything here is a pure function of its inputs, so a simulation is deterministic for a seed.

Example:
    >>> stable_unit(42, "Delhi") == stable_unit(42, "Delhi")
    True
    >>> to_price(1234.5678)
    Decimal('1234.57')
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

__all__ = [
    "SECONDS_PER_YEAR",
    "Clock",
    "geometric_step",
    "stable_normal",
    "stable_unit",
    "to_price",
    "utc_now",
]

Clock = Callable[[], datetime]
SECONDS_PER_YEAR: Final = 365.0 * 24 * 3600


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the default clock of every simulation)."""
    return datetime.now(UTC)


def stable_unit(seed: int, *parts: object) -> float:
    """A uniform number in ``[0, 1)`` fixed by ``seed`` and ``parts`` (stable across runs and machines)."""
    key = "\x1f".join([str(seed), *(str(p) for p in parts)]).encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def stable_normal(seed: int, *parts: object) -> float:
    """A standard normal number fixed by ``seed`` and ``parts`` (Box-Muller on two stable uniforms)."""
    u1 = max(stable_unit(seed, "n1", *parts), 1e-12)
    u2 = stable_unit(seed, "n2", *parts)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def geometric_step(price: float, annual_volatility: float, dt_s: float, shock: float) -> float:
    """Advance a driftless geometric Brownian motion by ``dt_s`` seconds with a standard normal ``shock``."""
    sigma = annual_volatility * math.sqrt(dt_s / SECONDS_PER_YEAR)
    return price * math.exp(-0.5 * sigma * sigma + sigma * shock)


def to_price(value: float) -> Decimal:
    """A price as a Decimal: cents above 1, six significant digits below."""
    if value >= 1:
        return Decimal(f"{value:.2f}")
    return Decimal(f"{value:.6g}")
