"""Decoded events → :class:`~flux.bff.snapshot.Snapshot` (the Kafka side's thin adapter).

The event path reshapes data once: an Avro event arrives as fastavro's datum
(``AsyncSerde.decode_datum``: a dict in the event's schema, no class instance
built and taken apart again) and becomes the client-facing dict here; the
Protobuf ticker arrives as its message.

Clients get camelCase JSON: datetimes as ISO-8601 UTC strings, money and
prices as decimal strings (no precision lost), UUIDs as strings. Event
metadata (ids, hashes, producer) moves to the snapshot envelope and is
removed from ``data``. The snapshot id of a cached stream is the event's
``snapshot_hash``: a redelivery and a republication of unchanged content are
both dropped. A ticker batch is identified by its sequence and flush time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, Final
from uuid import UUID

from flux.bff.snapshot import GLOBAL_KEY, Snapshot, Stream
from flux.contracts import (
    NewsUpdated,
    TickerBatch,
    TopCoinsUpdated,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherUpdated,
)

__all__ = ["UnsupportedEvent", "jsonable", "to_snapshot"]

_PLAIN: Final = frozenset({str, int, float, bool, type(None)})
# Field names seen (schema fields, and the keys of map fields, which upstreams choose): at most
# this many, each at most _CAMEL_LONGEST characters.
_CAMEL_NAMES: Final = 4096
_CAMEL_LONGEST: Final = 64
_ENVELOPE: Final = frozenset({"event_id", "produced_at", "source", "correlation_id", "snapshot_hash"})

_STREAMS: Final[dict[type, Stream]] = {
    WeatherUpdated: Stream.WEATHER,
    TopCoinsUpdated: Stream.TOPCOINS,
    TopMoversUpdated: Stream.MOVERS,
    NewsUpdated: Stream.NEWS,
    TopPerformersUpdated: Stream.STOCKS,
}


class UnsupportedEvent(TypeError):
    """The decoded value is not an event the BFF relays."""


def _camel_of(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_camel_remembered = lru_cache(maxsize=_CAMEL_NAMES)(_camel_of)


def _camel(name: str) -> str:
    """``snake_case`` → ``camelCase``; names up to ``_CAMEL_LONGEST`` characters are remembered."""
    return _camel_remembered(name) if len(name) <= _CAMEL_LONGEST else _camel_of(name)


def jsonable(value: Any) -> Any:
    """Convert an Avro datum (from a contract's ``to_dict``) into client JSON (camelCase keys)."""
    kind = type(value)  # the exact types a datum is made of first; ABC checks are slow
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {_camel(str(k)): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {_camel(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [jsonable(v) for v in value]
    return str(value)


def _epoch_ms(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def _ticker(batch: TickerBatch) -> Snapshot:
    ticks = [
        {
            "productId": t.product_id,
            "price": t.price,
            "bestBid": t.best_bid,
            "bestAsk": t.best_ask,
            "volume24h": t.volume_24h,
            "timeMs": t.time_ms,
            "tradeId": t.trade_id,
            "lastSize": t.last_size,
        }
        for t in batch.ticks
    ]
    return Snapshot(
        stream=Stream.TICKER,
        key=GLOBAL_KEY,
        snapshot_id=f"{batch.batch_sequence}@{batch.produced_at_ms}",
        produced_at_ms=int(batch.produced_at_ms),
        data={"batchSequence": int(batch.batch_sequence), "ticks": ticks},
    )


def to_snapshot(contract: type, decoded: Any) -> Snapshot:
    """Turn one decoded event of ``contract`` into a ``Snapshot``.

    Args:
        contract: The topic's event class (``flux.contracts.contract_for(topic)``).
        decoded: Its datum (a mapping, for Avro events) or its message (the ticker).

    Raises:
        UnsupportedEvent: ``contract`` is not an event the BFF relays, or ``decoded`` is not its shape.
    """
    if contract is TickerBatch:
        if not isinstance(decoded, TickerBatch):
            raise UnsupportedEvent(f"expected a TickerBatch message, got {type(decoded).__name__}")
        return _ticker(decoded)
    stream = _STREAMS.get(contract)
    if stream is None:
        raise UnsupportedEvent(f"{contract.__name__} is not an event the BFF relays")
    if not isinstance(decoded, Mapping):
        raise UnsupportedEvent(f"expected the datum of {contract.__name__}, got {type(decoded).__name__}")
    datum = {k: v for k, v in decoded.items() if k not in _ENVELOPE}
    key = GLOBAL_KEY
    if contract is WeatherUpdated:
        key = str(decoded["city_key"])
        datum["observation"] = datum.pop("data")
    return Snapshot(
        stream=stream,
        key=key,
        snapshot_id=str(decoded["snapshot_hash"]),
        produced_at_ms=_epoch_ms(decoded["produced_at"]),
        data=jsonable(datum),
    )
