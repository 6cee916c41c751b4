"""What clients send, validated: schema requests, version parameters, levels and modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.model import Mode, Reference
from flux.schemas.types import CompatibilityLevel, SchemaType

__all__ = ["LATEST", "MAX_VERSION", "SchemaRequest", "parse_level", "parse_mode", "parse_version"]

MAX_VERSION: Final = 2**31 - 1
LATEST: Final = -1


@dataclass(frozen=True, slots=True)
class SchemaRequest:
    """A schema as sent by a client (``POST .../versions``, lookups, compatibility checks)."""

    text: str
    schema_type: SchemaType
    references: tuple[Reference, ...] = ()
    schema_id: int | None = None
    version: int | None = None


def parse_version(raw: str) -> int:
    """Parse a version path parameter: ``1``..``2^31-1``, ``latest`` or ``-1`` (→ ``LATEST``).

    Raises:
        RegistryError: 42202 for anything else.
    """
    if raw == "latest":
        return LATEST
    try:
        value = int(raw)
    except ValueError:
        raise RegistryError.invalid_version(raw) from None
    if value == LATEST or 1 <= value <= MAX_VERSION:
        return value
    raise RegistryError.invalid_version(raw)


def parse_level(raw: Any) -> CompatibilityLevel:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return CompatibilityLevel(raw.upper())
    except ValueError:
        raise RegistryError(
            422,
            ErrorCode.INVALID_COMPATIBILITY_LEVEL,
            "Invalid compatibility level. Valid values are none, backward, forward, full, "
            "backward_transitive, forward_transitive, and full_transitive",
        ) from None


def parse_mode(raw: Any) -> Mode:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return Mode(raw.upper())
    except ValueError:
        raise RegistryError(
            422,
            ErrorCode.INVALID_MODE,
            "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT",
        ) from None
