"""Records parked in a dead-letter topic, read back through their ``flux.dlq.*`` headers.

:mod:`flux.kafka.dead_letter` writes the headers: error class and message, the original topic,
partition, offset and timestamp, and the service that gave up on the record. The value and key
are the original bytes. Other headers of the original record are carried along unchanged.

Example:
    >>> from flux.cli.kafka_read import KafkaRecord
    >>> rec = KafkaRecord("t.dlq", 0, 4, 1767225600000, b"k", b"\\x07", (
    ...     (ERROR_CLASS, b"BadMagicByte"), (ORIGINAL_TOPIC, b"t"), (ORIGINAL_OFFSET, b"41")))
    >>> parked = ParkedRecord(rec)
    >>> parked.error_class, parked.original_topic, parked.original_offset
    ('BadMagicByte', 't', 41)
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from flux.cli.kafka_read import KafkaRecord
from flux.cli.record_format import format_timestamp, key_text

__all__ = [
    "DLQ_HEADER_PREFIX",
    "ERROR_CLASS",
    "ERROR_MESSAGE",
    "ORIGINAL_OFFSET",
    "ORIGINAL_PARTITION",
    "ORIGINAL_TIMESTAMP",
    "ORIGINAL_TOPIC",
    "REPLAY_SOURCE",
    "SERVICE",
    "ParkedRecord",
    "count_by_class",
    "format_counts",
    "parked_json",
    "parked_lines",
    "parked_summary",
]

# The names flux.kafka.dead_letter.dead_letter_headers writes.
DLQ_HEADER_PREFIX: Final = "flux.dlq."
ERROR_CLASS: Final = "flux.dlq.error.class"
ERROR_MESSAGE: Final = "flux.dlq.error.message"
ORIGINAL_TOPIC: Final = "flux.dlq.original.topic"
ORIGINAL_PARTITION: Final = "flux.dlq.original.partition"
ORIGINAL_OFFSET: Final = "flux.dlq.original.offset"
ORIGINAL_TIMESTAMP: Final = "flux.dlq.original.timestamp"
SERVICE: Final = "flux.dlq.service"

REPLAY_SOURCE: Final = "flux.replay.source"
"""Added to a replayed record: ``<dlq topic>/<partition>/<offset>`` it was replayed from. Not a
``flux.dlq.*`` header, so a replayed record that fails again carries it into the DLQ."""

UNKNOWN_CLASS: Final = "(no error class)"
VALUE_PREVIEW_BYTES: Final = 24


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ParkedRecord:
    """One record of a dead-letter topic and what its headers say about it."""

    record: KafkaRecord

    @property
    def error_class(self) -> str:
        return self.record.header(ERROR_CLASS) or UNKNOWN_CLASS

    @property
    def error_message(self) -> str:
        return self.record.header(ERROR_MESSAGE) or ""

    @property
    def original_topic(self) -> str | None:
        return self.record.header(ORIGINAL_TOPIC) or None

    @property
    def original_partition(self) -> int | None:
        return _int(self.record.header(ORIGINAL_PARTITION))

    @property
    def original_offset(self) -> int | None:
        return _int(self.record.header(ORIGINAL_OFFSET))

    @property
    def original_timestamp_ms(self) -> int | None:
        stamp = _int(self.record.header(ORIGINAL_TIMESTAMP))
        return stamp if stamp is not None and stamp >= 0 else None

    @property
    def service(self) -> str:
        return self.record.header(SERVICE) or "?"

    @property
    def location(self) -> str:
        """``<dlq topic>/<partition>/<offset>``: where the record is parked."""
        return f"{self.record.topic}/{self.record.partition}/{self.record.offset}"

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The original record's own headers (everything but ``flux.dlq.*``), in order."""
        return [(k, v) for k, v in self.record.headers if not k.startswith(DLQ_HEADER_PREFIX)]


def count_by_class(parked: Iterable[ParkedRecord]) -> Counter[str]:
    """How many records per ``flux.dlq.error.class``."""
    return Counter(p.error_class for p in parked)


def format_counts(counts: Counter[str]) -> str:
    """``BadMagicByte=2 SchemaMismatch=1`` (most frequent first), ``-`` when empty."""
    if not counts:
        return "-"
    return " ".join(f"{name}={n}" for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _value_preview(value: bytes | None) -> str:
    if value is None:
        return "none (tombstone)"
    head = value[:VALUE_PREVIEW_BYTES].hex(" ")
    more = " …" if len(value) > VALUE_PREVIEW_BYTES else ""
    return f"{len(value)} bytes: {head}{more}" if value else "0 bytes"


def parked_lines(parked: ParkedRecord) -> list[str]:
    """A parked record as a short block of aligned lines (``flux dlq show``).

    Example output::

        weather.service.command.fetch.dlq/0/3  parked 2026-01-01 12:00:00.123Z
          original  weather.service.command.fetch partition 2 offset 41, 2026-01-01 11:59:59.900Z
          error     SchemaMismatch: record body does not match schema id 3: ...
          service   weather-service
          key       delhi
          value     57 bytes: 00 00 00 00 03 ...
    """
    rec = parked.record
    original = (
        f"{parked.original_topic or '?'} partition {_or_q(parked.original_partition)} "
        f"offset {_or_q(parked.original_offset)}, {format_timestamp(parked.original_timestamp_ms)}"
    )
    message = f": {parked.error_message}" if parked.error_message else ""
    key = key_text(rec.key)
    lines = [
        f"{parked.location}  parked {format_timestamp(rec.timestamp_ms)}",
        f"  original  {original}",
        f"  error     {parked.error_class}{message}",
        f"  service   {parked.service}",
        f"  key       {key if key is not None else '-'}",
        f"  value     {_value_preview(rec.value)}",
    ]
    others = parked.original_headers()
    if others:
        lines.append("  headers   " + " ".join(f"{k}={_header_text(v)}" for k, v in others))
    return lines


def _or_q(value: int | None) -> str:
    return "?" if value is None else str(value)


def _header_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + value.hex()


def parked_json(parked: ParkedRecord) -> str:
    """A parked record as one JSON object (``flux dlq show --json``); the value is base64."""
    rec = parked.record
    return json.dumps(
        {
            "topic": rec.topic,
            "partition": rec.partition,
            "offset": rec.offset,
            "timestamp": rec.timestamp_ms,
            "key": key_text(rec.key),
            "value": None if rec.value is None else base64.b64encode(rec.value).decode("ascii"),
            "valueBytes": None if rec.value is None else len(rec.value),
            "errorClass": parked.error_class,
            "errorMessage": parked.error_message,
            "originalTopic": parked.original_topic,
            "originalPartition": parked.original_partition,
            "originalOffset": parked.original_offset,
            "originalTimestamp": parked.original_timestamp_ms,
            "service": parked.service,
            "headers": {k: _header_text(v) for k, v in parked.original_headers()},
        },
        ensure_ascii=False,
    )


def parked_summary(parked: Sequence[ParkedRecord]) -> str:
    """``3 records: BadMagicByte=2 SchemaMismatch=1``."""
    noun = "record" if len(parked) == 1 else "records"
    return f"{len(parked)} {noun}: {format_counts(count_by_class(parked))}"
