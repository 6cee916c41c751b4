"""Strict readers for decoded upstream payloads: every field checked for type, range and length.

Each reader raises :class:`~flux.resilience.UpstreamBadPayload` naming the upstream and the field path,
so a provider never lets a malformed value through.

Example:
    >>> reader = FieldReader("demo")
    >>> reader.decimal({"price": "1.50"}, "price", minimum=0)
    Decimal('1.50')
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from flux.resilience import UpstreamBadPayload

__all__ = ["FieldReader", "decode_json"]

MAX_TEXT: Final = 2_000


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def decode_json(upstream: str, body: bytes) -> Any:
    """Decode a JSON body with exact decimals, rejecting NaN/Infinity and bad UTF-8.

    Raises:
        UpstreamBadPayload: The body is not valid JSON.
    """
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UpstreamBadPayload(upstream, f"malformed JSON: {type(exc).__name__}") from exc


class FieldReader:
    """Reads typed fields out of JSON-like mappings on behalf of one upstream."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream

    def fail(self, message: str) -> UpstreamBadPayload:
        """Build (not raise) the error for a bad payload."""
        return UpstreamBadPayload(self.upstream, message)

    def mapping(self, value: object, where: str) -> Mapping[str, Any]:
        """``value`` as a JSON object."""
        if not isinstance(value, Mapping):
            raise self.fail(f"{where}: expected an object, got {type(value).__name__}")
        return value

    def items(self, value: object, where: str, *, max_items: int) -> list[Any]:
        """``value`` as a JSON array of at most ``max_items`` elements."""
        if not isinstance(value, list):
            raise self.fail(f"{where}: expected an array, got {type(value).__name__}")
        if len(value) > max_items:
            raise self.fail(f"{where}: {len(value)} items exceed the limit of {max_items}")
        return value

    def present(self, obj: Mapping[str, Any], key: str) -> Any:
        """The raw value under ``key``; missing keys are an error."""
        if key not in obj:
            raise self.fail(f"missing field {key!r}")
        return obj[key]

    def text(
        self, obj: Mapping[str, Any], key: str, *, max_length: int = MAX_TEXT, min_length: int = 1
    ) -> str:
        """A string field, stripped, with a bounded length."""
        value = self.present(obj, key)
        if not isinstance(value, str):
            raise self.fail(f"{key}: expected a string, got {type(value).__name__}")
        value = value.strip()
        if not min_length <= len(value) <= max_length:
            raise self.fail(f"{key}: length {len(value)} outside [{min_length}, {max_length}]")
        return value

    def optional_text(self, obj: Mapping[str, Any], key: str, *, max_length: int = MAX_TEXT) -> str | None:
        """A string field that may be missing, null or empty (all read as None)."""
        if obj.get(key) is None:
            return None
        value = self.text(obj, key, max_length=max_length, min_length=0)
        return value or None

    def decimal(
        self,
        obj: Mapping[str, Any],
        key: str,
        *,
        minimum: Decimal | int | None = None,
        maximum: Decimal | int | None = None,
        suffix: str = "",
    ) -> Decimal:
        """A number given as a JSON number or numeric string (``suffix`` such as ``"%"`` is stripped)."""
        value = self.present(obj, key)
        return self._to_decimal(key, value, minimum, maximum, suffix)

    def optional_decimal(
        self,
        obj: Mapping[str, Any],
        key: str,
        *,
        minimum: Decimal | int | None = None,
        maximum: Decimal | int | None = None,
    ) -> Decimal | None:
        """Like :meth:`decimal`, but a missing or null field reads as None."""
        value = obj.get(key)
        if value is None:
            return None
        return self._to_decimal(key, value, minimum, maximum, "")

    def number(self, obj: Mapping[str, Any], key: str, *, minimum: float, maximum: float) -> float:
        """A finite float within ``[minimum, maximum]``."""
        return float(self.decimal(obj, key, minimum=Decimal(str(minimum)), maximum=Decimal(str(maximum))))

    def integer(
        self, obj: Mapping[str, Any], key: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer given as a JSON integer or a digit string."""
        value = self.present(obj, key)
        if isinstance(value, bool):
            raise self.fail(f"{key}: expected an integer, got a boolean")
        if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) <= 40:
            value = int(value.strip())
        if not isinstance(value, int):
            raise self.fail(f"{key}: expected an integer, got {type(value).__name__}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.fail(f"{key}: {value} outside [{minimum}, {maximum}]")
        return value

    def optional_integer(
        self, obj: Mapping[str, Any], key: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """Like :meth:`integer`, but a missing or null field reads as None."""
        if obj.get(key) is None:
            return None
        return self.integer(obj, key, minimum=minimum, maximum=maximum)

    def timestamp(self, obj: Mapping[str, Any], key: str) -> datetime:
        """An ISO-8601 timestamp; one without an offset is taken as UTC."""
        raw = self.text(obj, key, max_length=64)
        return self.parse_timestamp(key, raw)

    def parse_timestamp(self, key: str, raw: str) -> datetime:
        """Parse ISO-8601 text (a trailing ``Z`` allowed) into an aware UTC datetime."""
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise self.fail(f"{key}: not an ISO-8601 timestamp") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)

    def _to_decimal(
        self,
        key: str,
        value: object,
        minimum: Decimal | int | None,
        maximum: Decimal | int | None,
        suffix: str,
    ) -> Decimal:
        if isinstance(value, bool):
            raise self.fail(f"{key}: expected a number, got a boolean")
        if isinstance(value, str):
            text = value.strip()
            if suffix and text.endswith(suffix):
                text = text[: -len(suffix)]
            if not text or len(text) > 64:
                raise self.fail(f"{key}: not a number")
            try:
                value = Decimal(text)
            except InvalidOperation as exc:
                raise self.fail(f"{key}: not a number") from exc
        if isinstance(value, int):
            value = Decimal(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(f"{key}: not finite")
            value = Decimal(str(value))
        if not isinstance(value, Decimal):
            raise self.fail(f"{key}: expected a number, got {type(value).__name__}")
        if not value.is_finite():
            raise self.fail(f"{key}: not finite")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.fail(f"{key}: {value} outside [{minimum}, {maximum}]")
        return value
