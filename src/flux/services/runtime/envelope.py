"""Event envelope helpers: stable event ids, content hashes of snapshots, clocks.

An event caused by a command gets ``event_id = uuid5(command_id, topic)``: a
command redelivered after a crash yields the same event id. ``snapshot_hash``
hashes the snapshot's content only (never ids or times), so equal snapshots
have equal hashes and consumers can drop repeats.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from flux.contracts.runtime import uuid_from_int

__all__ = ["event_id_for", "snapshot_hash", "utc_now"]

_EVENT_NAMESPACE: Final = uuid.UUID("6f1d2c8e-5b7a-4f0e-9a51-3f2c7d9e0b14")
_NAMESPACE_SHA1: Final = hashlib.sha1(_EVENT_NAMESPACE.bytes, usedforsecurity=False)
# uuid5's version (5) and variant (RFC 4122) bits, applied to the SHA-1 prefix as uuid.UUID does.
_UUID5_KEEP: Final = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID5_SET: Final = (5 << 76) | (0x8000 << 48)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class _MillisecondClock:
    """The last millisecond asked for and its datetime (immutable, so every caller may share it)."""

    __slots__ = ("millis", "moment")

    def __init__(self) -> None:
        self.millis, self.moment = 0, _EPOCH

    def now(self) -> datetime:
        millis = time.time_ns() // 1_000_000
        if millis != self.millis:
            self.millis, self.moment = millis, _EPOCH + timedelta(milliseconds=millis)
        return self.moment


_CLOCK: Final = _MillisecondClock()


def utc_now() -> datetime:
    """Now, in UTC, at millisecond precision (what Avro timestamp-millis keeps).

    The events of one batch are built within a few milliseconds: calls in the same millisecond
    share one datetime instead of building and truncating one each.
    """
    return _CLOCK.now()


def event_id_for(command_id: uuid.UUID | None, topic: str) -> uuid.UUID:
    """A deterministic id for the event a command causes; random for scheduled events.

    Equal to ``uuid.uuid5(namespace, f"{command_id}:{topic}")`` (ids stay stable across releases),
    computed without uuid5's intermediate UUID.
    """
    if command_id is None:
        return uuid.uuid4()
    hasher = _NAMESPACE_SHA1.copy()  # the namespace's 16 bytes hashed once
    hasher.update(f"{command_id}:{topic}".encode())
    digest = hasher.digest()
    return uuid_from_int((int.from_bytes(digest[:16]) & _UUID5_KEEP) | _UUID5_SET)


_PLAIN: Final = (str, int, float, bool, type(None))


def _canonical(value: Any) -> Any:
    # Plain values and dicts first: they are most of a snapshot, and ABC checks (Mapping) are slow.
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict | Mapping):  # key order is settled by json.dumps(sort_keys=True)
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | bytes):
        return str(value)
    return value


def snapshot_hash(content: Any) -> str:
    """Hex SHA-256 of ``content`` in a canonical JSON form (key order and Decimal scale do not matter)."""
    encoded = json.dumps(_canonical(content), separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()
