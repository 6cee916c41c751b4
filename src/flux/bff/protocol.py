"""Validation of every client → server payload of the Socket.IO protocol.

Each ``parse_*`` function takes the raw decoded JSON a client sent and
returns a typed request, or raises :class:`ProtocolError` with a stable
machine-readable ``code`` and a short human message (never a stack trace).
The protocol is documented in ``docs/client-protocol.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from flux.bff.snapshot import CHANNELS, Stream
from flux.contracts.keys import city_display, city_key

__all__ = [
    "MAX_CITY_LENGTH",
    "ErrorCode",
    "LocationRequest",
    "ProtocolError",
    "RefreshTarget",
    "error_ack",
    "normalise_city",
    "ok_ack",
    "parse_channel",
    "parse_location",
    "parse_refresh",
]

MAX_CITY_LENGTH: Final = 64
MAX_NUMBER_TEXT: Final = 32
# Letters of any script, combining marks, spaces, and the punctuation real place names use.
_CITY_CHARS: Final = re.compile("^[\\w\\s'\u2019.\\-()]+$", re.UNICODE)
_DIGITS_OR_UNDERSCORE: Final = re.compile(r"[\d_]")


class ErrorCode(StrEnum):
    """Stable error codes sent in ``{ok: false, error: {code, message}}``."""

    INVALID_PAYLOAD = "invalid_payload"
    INVALID_CITY = "invalid_city"
    INVALID_COORDINATES = "invalid_coordinates"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_DOMAIN = "unknown_domain"
    UNKNOWN_EVENT = "unknown_event"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A client request was rejected; ``code`` and ``message`` are safe to show to the client."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RefreshTarget(StrEnum):
    """What ``refresh`` may ask for; the value is what the client sends as ``domain``."""

    NEWS = "news"
    STOCKS = "stocks"
    TOPCOINS = "crypto:topcoins"
    MOVERS = "crypto:movers"

    @property
    def stream(self) -> Stream:
        return Stream(self.value)


@dataclass(frozen=True, slots=True)
class LocationRequest:
    """A validated ``locationUpdate``: display name, normalised room key and coordinates."""

    city: str
    city_key: str
    lat: float
    lon: float


def ok_ack(**fields: Any) -> dict[str, Any]:
    """Successful acknowledgement ``{ok: true, ...}``."""
    return {"ok": True, **fields}


def error_ack(code: ErrorCode, message: str) -> dict[str, Any]:
    """Failed acknowledgement ``{ok: false, error: {code, message}}``."""
    return {"ok": False, "error": {"code": code.value, "message": message}}


def _require_object(payload: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorCode.INVALID_PAYLOAD, "payload must be a JSON object")
    unknown = sorted(str(k)[:32] for k in payload if k not in fields)
    if unknown:
        raise ProtocolError(ErrorCode.INVALID_PAYLOAD, f"unknown field(s): {', '.join(unknown[:5])}")
    return payload


def normalise_city(raw: Any) -> tuple[str, str]:
    """Return ``(display name, room key)`` for a city, or raise ``ProtocolError``.

    The display name is NFC-normalised with collapsed whitespace; the key is
    its case-folded form (so ``"  new  YORK"`` and ``"New York"`` share a room) — the same
    :func:`flux.contracts.keys.city_key` the weather service keys its events with.
    """
    if not isinstance(raw, str):
        raise ProtocolError(ErrorCode.INVALID_CITY, "city must be a string")
    if len(raw) > MAX_CITY_LENGTH * 4:
        raise ProtocolError(ErrorCode.INVALID_CITY, f"city must be at most {MAX_CITY_LENGTH} characters")
    display = city_display(raw)
    if not display:
        raise ProtocolError(ErrorCode.INVALID_CITY, "city must not be empty")
    if len(display) > MAX_CITY_LENGTH:
        raise ProtocolError(ErrorCode.INVALID_CITY, f"city must be at most {MAX_CITY_LENGTH} characters")
    if not _CITY_CHARS.match(display) or _DIGITS_OR_UNDERSCORE.search(display):
        raise ProtocolError(ErrorCode.INVALID_CITY, "city may contain only letters, spaces and . ' - ( )")
    if not any(ch.isalpha() for ch in display):
        raise ProtocolError(ErrorCode.INVALID_CITY, "city must contain a letter")
    return display, city_key(display)


def _coordinate(raw: Any, name: str, limit: float) -> float:
    if isinstance(raw, bool):
        raise ProtocolError(ErrorCode.INVALID_COORDINATES, f"{name} must be a number")
    if isinstance(raw, str):
        if len(raw) > MAX_NUMBER_TEXT:
            raise ProtocolError(ErrorCode.INVALID_COORDINATES, f"{name} is too long")
        try:
            value = float(raw.strip())
        except ValueError:
            raise ProtocolError(ErrorCode.INVALID_COORDINATES, f"{name} must be a number") from None
    elif isinstance(raw, int | float):
        value = float(raw)
    else:
        raise ProtocolError(ErrorCode.INVALID_COORDINATES, f"{name} must be a number")
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ProtocolError(ErrorCode.INVALID_COORDINATES, f"{name} must be between -{limit:g} and {limit:g}")
    return value


def parse_location(payload: Any) -> LocationRequest:
    """Validate ``locationUpdate`` ``{city, lat, lon}`` (lat/lon as numbers or numeric strings)."""
    body = _require_object(payload, ("city", "lat", "lon"))
    for field in ("city", "lat", "lon"):
        if field not in body:
            raise ProtocolError(ErrorCode.INVALID_PAYLOAD, f"missing field: {field}")
    city, key = normalise_city(body["city"])
    return LocationRequest(
        city=city,
        city_key=key,
        lat=_coordinate(body["lat"], "lat", 90.0),
        lon=_coordinate(body["lon"], "lon", 180.0),
    )


def parse_channel(payload: Any) -> str:
    """Validate ``subscribe``/``unsubscribe`` ``{channel}``; return the channel (= room) name."""
    body = _require_object(payload, ("channel",))
    channel = body.get("channel")
    if not isinstance(channel, str):
        raise ProtocolError(ErrorCode.INVALID_PAYLOAD, "channel must be a string")
    if channel not in CHANNELS:
        shown = channel[:40]
        raise ProtocolError(
            ErrorCode.UNKNOWN_CHANNEL, f"unknown channel {shown!r}; expected one of {', '.join(CHANNELS)}"
        )
    return channel


def parse_refresh(payload: Any) -> RefreshTarget:
    """Validate ``refresh`` ``{domain}``."""
    body = _require_object(payload, ("domain",))
    domain = body.get("domain")
    if not isinstance(domain, str):
        raise ProtocolError(ErrorCode.INVALID_PAYLOAD, "domain must be a string")
    try:
        return RefreshTarget(domain)
    except ValueError:
        allowed = ", ".join(t.value for t in RefreshTarget)
        raise ProtocolError(
            ErrorCode.UNKNOWN_DOMAIN, f"unknown domain {domain[:40]!r}; expected one of {allowed}"
        ) from None
