"""How records look on the terminal: one human line, or one JSON object, per record.

Example:
    >>> summarize({"city": "Delhi", "temp": 31.5, "alerts": [1, 2], "obs": {"rh": 40}})
    'city=Delhi temp=31.5 alerts=[2 items] obs={rh=40}'
    >>> format_timestamp(1767225600123)
    '2026-01-01 00:00:00.123Z'
    >>> key_text(b"new york"), key_text(None), key_text(b"\\xff\\x00")
    ('new york', None, 'hex:ff00')
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Final
from uuid import UUID

from flux.cli.decoding import Decoded
from flux.cli.kafka_read import KafkaRecord

__all__ = [
    "ENVELOPE_FIELDS",
    "format_timestamp",
    "jsonable",
    "key_text",
    "summarize",
    "tail_json",
    "tail_line",
]

SUMMARY_CHARS: Final = 160
"""A human line's value summary is cut here, so one record stays one terminal line or two."""

ENVELOPE_FIELDS: Final = frozenset(
    {"event_id", "produced_at", "correlation_id", "snapshot_hash", "command_id", "issued_at", "requested_by"}
)
"""Ids and times every event or command envelope carries: left out of the human line, where they
would fill the summary before any payload shows (``--json`` has them)."""


def jsonable(value: Any) -> Any:
    """``value`` with every leaf made JSON-serialisable without losing information.

    Datetimes become ISO 8601 strings, UUIDs and Decimals strings (no float rounding), bytes
    ``base64:...``, enums their value, non-finite floats strings.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _short(value: Any, depth: int) -> str:
    if isinstance(value, Mapping):
        if depth >= 2:
            return "{…}"
        inner = " ".join(f"{k}={_short(v, depth + 1)}" for k, v in value.items())
        return inner if depth == 0 else "{" + inner + "}"
    if isinstance(value, list):
        return f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    text = "null" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def summarize(value: Any, limit: int = SUMMARY_CHARS) -> str:
    """A one-line summary of a decoded value: ``field=value`` pairs, lists as their length.

    Args:
        value: Decoded data (see :func:`jsonable`); a scalar is shown as itself.
        limit: Longest summary; longer ones end with ``…``.
    """
    text = _short(jsonable(value), 0)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_timestamp(timestamp_ms: int | None) -> str:
    """Kafka's record timestamp (ms since the epoch) in UTC, to the millisecond; ``-`` when absent."""
    if timestamp_ms is None:
        return "-"
    stamp = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{timestamp_ms % 1000:03d}Z"


def key_text(key: bytes | None) -> str | None:
    """A record key as text: UTF-8 when it is, else ``hex:...``; None for no key."""
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + key.hex()


def tail_line(record: KafkaRecord, decoded: Decoded) -> str:
    """One human line: time, partition/offset, key, what the value decoded as, its summary
    (without the envelope's ids and times, :data:`ENVELOPE_FIELDS`).

    Example output::

        2026-01-01 12:00:00.123Z  p0/17  key=global  NewsUpdated  source=news-service articles=[12 items]
        2026-01-01 12:00:01.004Z  p0/18  key=global  UNDECODABLE  bad magic byte 0x07: not ...
    """
    head = f"{format_timestamp(record.timestamp_ms)}  p{record.partition}/{record.offset}"
    key = key_text(record.key)
    head += f"  key={key if key is not None else '-'}"
    if not decoded.ok:
        return f"{head}  UNDECODABLE  {decoded.error}"
    if decoded.decoded_as == "tombstone":
        return f"{head}  tombstone"
    value = decoded.value
    if isinstance(value, Mapping):
        payload = {k: v for k, v in value.items() if k not in ENVELOPE_FIELDS}
        value = payload or value
    return f"{head}  {decoded.decoded_as}  {summarize(value)}"


def tail_json(record: KafkaRecord, decoded: Decoded) -> str:
    """One JSON object: topic, partition, offset, key, timestamp (ms), schemaId, value, decodedAs, error.

    ``decodedAs`` is the contract class the value was read into, ``writer schema <id>`` when only the
    writer's own schema could read it, ``raw`` for topics without a contract, ``tombstone``, or null
    when the value did not decode (then ``error`` says why and ``value`` is null).
    """
    return json.dumps(
        {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": key_text(record.key),
            "timestamp": record.timestamp_ms,
            "schemaId": decoded.schema_id,
            "value": jsonable(decoded.value),
            "decodedAs": decoded.decoded_as or None,
            "error": decoded.error,
        },
        ensure_ascii=False,
    )
