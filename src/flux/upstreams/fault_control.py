"""Fault control of the fake upstream servers: which failure to inject, where, and for how long.

A fault has a mode (``slow``, ``5xx``, ``429``, ``malformed``, ``truncated``, ``drop_ws``,
``out_of_range``), a target
(one fake upstream or all), and ends after ``duration_s`` seconds, after ``count`` affected
requests, or when cleared — whichever comes first.

Example:
    >>> faults = FaultController()
    >>> _ = faults.inject(FaultMode.RATE_LIMITED, count=1, retry_after_s=2)
    >>> faults.take(FaultTarget.WEATHER).mode, faults.take(FaultTarget.WEATHER)
    (<FaultMode.RATE_LIMITED: '429'>, None)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = ["Fault", "FaultController", "FaultMode", "FaultTarget", "parse_fault_request"]

LOG = logging.getLogger(__name__)


class FaultMode(StrEnum):
    """What goes wrong."""

    NONE = "none"
    SLOW = "slow"
    SERVER_ERROR = "5xx"
    RATE_LIMITED = "429"
    MALFORMED = "malformed"
    TRUNCATED = "truncated"
    DROP_WS = "drop_ws"
    OUT_OF_RANGE = "out_of_range"
    """A well-formed answer whose values no real source gives but a parser accepts (the weather
    upstream reports 65 °C: inside the live adapter's bounds, outside the data contract's)."""


class FaultTarget(StrEnum):
    """Which fake upstream a fault applies to."""

    ALL = "all"
    WEATHER = "weather"
    COINGECKO = "coingecko"
    COINBASE = "coinbase"
    NEWS = "news"
    STOCKS = "stocks"


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected fault.

    Attributes:
        mode: What goes wrong.
        target: Where.
        expires_at: Monotonic time it ends, or None.
        remaining: Affected requests left, or None for unlimited.
        retry_after_s: ``Retry-After`` sent with ``429``.
        delay_s: Extra latency of ``slow``.
        status: HTTP status of ``5xx``.
    """

    mode: FaultMode
    target: FaultTarget
    expires_at: float | None
    remaining: int | None
    retry_after_s: float
    delay_s: float
    status: int

    def applies_to(self, target: FaultTarget) -> bool:
        """Whether this fault hits ``target``."""
        return self.target in (FaultTarget.ALL, target)


class FaultController:
    """Holds the current fault; the servers consult it on every request and WebSocket frame.

    Args:
        clock: Monotonic clock in seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._fault: Fault | None = None
        self._listeners: list[Callable[[Fault], None]] = []
        self.injected = 0
        self.served: Counter[str] = Counter()
        """Responses each fault mode has shaped so far (``out_of_range`` only where an upstream has
        such a body); read through the control API's ``served``, e.g. by the chaos run."""

    def add_listener(self, listener: Callable[[Fault], None]) -> None:
        """Call ``listener`` with each new fault as it is injected (the WS server drops sockets so)."""
        self._listeners.append(listener)

    def inject(
        self,
        mode: FaultMode,
        *,
        target: FaultTarget = FaultTarget.ALL,
        duration_s: float | None = None,
        count: int | None = None,
        retry_after_s: float = 1.0,
        delay_s: float = 5.0,
        status: int = 503,
    ) -> Fault | None:
        """Start a fault, replacing any current one; ``FaultMode.NONE`` clears instead.

        Raises:
            ValueError: Negative duration/count/delays or a status outside 500-599.
        """
        if mode is FaultMode.NONE:
            self.clear()
            return None
        if (duration_s is not None and duration_s <= 0) or (count is not None and count < 1):
            raise ValueError("duration_s must be > 0 and count >= 1")
        if retry_after_s < 0 or delay_s < 0 or not 500 <= status <= 599:
            raise ValueError("retry_after_s and delay_s must be >= 0, status in 500..599")
        fault = Fault(
            mode=mode,
            target=target,
            expires_at=None if duration_s is None else self._clock() + duration_s,
            remaining=count,
            retry_after_s=retry_after_s,
            delay_s=delay_s,
            status=status,
        )
        self._fault = fault
        self.injected += 1
        LOG.info("fault injected: %s on %s", mode.value, target.value)
        for listener in self._listeners:
            listener(fault)
        return fault

    def clear(self) -> None:
        """End the current fault."""
        if self._fault is not None:
            LOG.info("fault cleared: %s", self._fault.mode.value)
        self._fault = None

    def current(self) -> Fault | None:
        """The fault in force, if any (expired faults are dropped)."""
        fault = self._fault
        if fault is not None and fault.expires_at is not None and self._clock() >= fault.expires_at:
            self._fault = None
            return None
        return fault

    def peek(self, target: FaultTarget) -> Fault | None:
        """The fault in force for ``target`` without consuming a count."""
        fault = self.current()
        return fault if fault is not None and fault.applies_to(target) else None

    def take(self, target: FaultTarget) -> Fault | None:
        """The fault in force for ``target``, consuming one of its ``count`` if limited."""
        fault = self.peek(target)
        if fault is None or fault.remaining is None:
            return fault
        left = fault.remaining - 1
        self._fault = replace(fault, remaining=left) if left > 0 else None
        return fault

    def describe(self) -> dict[str, Any]:
        """The current fault as JSON-ready data."""
        fault = self.current()
        if fault is None:
            return {"mode": FaultMode.NONE.value, "served": dict(self.served)}
        remaining_s = None if fault.expires_at is None else max(0.0, fault.expires_at - self._clock())
        return {
            "mode": fault.mode.value,
            "target": fault.target.value,
            "remaining_s": remaining_s,
            "remaining_count": fault.remaining,
            "retry_after_s": fault.retry_after_s,
            "delay_s": fault.delay_s,
            "status": fault.status,
            "served": dict(self.served),
        }


def parse_fault_request(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a control request body into keyword arguments of :meth:`FaultController.inject`.

    Raises:
        ValueError: Unknown mode/target or a mistyped field.
    """
    allowed = {"mode", "target", "duration_s", "count", "retry_after_s", "delay_s", "status"}
    unknown = set(payload) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    kwargs: dict[str, Any] = {"mode": FaultMode(str(payload.get("mode", "")))}
    if "target" in payload:
        kwargs["target"] = FaultTarget(str(payload["target"]))
    for key in ("duration_s", "retry_after_s", "delay_s"):
        value = payload.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            kwargs[key] = float(value)
    for key in ("count", "status"):
        value = payload.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{key} must be an integer")
            kwargs[key] = value
    return kwargs
