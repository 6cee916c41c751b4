"""Envelope helpers: stable uuid5 event ids, canonical snapshot hashes, millisecond clock."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from flux.services.runtime.envelope import event_id_for, snapshot_hash, utc_now


def test_event_id_is_stable_per_command_and_topic() -> None:
    command = uuid.uuid4()
    first = event_id_for(command, "weather.service.event.updated")
    assert first == event_id_for(command, "weather.service.event.updated")
    assert first.version == 5
    assert first != event_id_for(command, "crypto.top_coins.event.updated")
    assert first != event_id_for(uuid.uuid4(), "weather.service.event.updated")


def test_event_id_without_command_is_random() -> None:
    a = event_id_for(None, "t")
    b = event_id_for(None, "t")
    assert a != b
    assert a.version == 4


def test_hash_ignores_key_order() -> None:
    assert snapshot_hash({"a": 1, "b": {"x": 1, "y": 2}}) == snapshot_hash({"b": {"y": 2, "x": 1}, "a": 1})


def test_hash_ignores_decimal_scale() -> None:
    assert snapshot_hash({"price": Decimal("1.5")}) == snapshot_hash({"price": Decimal("1.500000")})
    assert snapshot_hash({"price": Decimal("100")}) == snapshot_hash({"price": Decimal("1E+2")})


def test_hash_sees_content_changes() -> None:
    base = {"coins": [{"symbol": "BTC", "price": Decimal("1.5")}]}
    assert snapshot_hash(base) != snapshot_hash({"coins": [{"symbol": "BTC", "price": Decimal("1.6")}]})
    assert snapshot_hash([1, 2]) != snapshot_hash([2, 1])
    assert len(snapshot_hash(base)) == 64


def test_hash_handles_datetimes_uuids_and_bytes() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    ident = uuid.UUID(int=1)
    assert snapshot_hash({"t": when, "id": ident, "b": b"x"}) == snapshot_hash(
        {"b": b"x", "id": ident, "t": when}
    )


def test_utc_now_has_millisecond_precision() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0


def test_event_id_is_the_uuid5_of_command_and_topic() -> None:
    namespace = uuid.UUID("6f1d2c8e-5b7a-4f0e-9a51-3f2c7d9e0b14")  # ids must never change across releases
    for _ in range(200):
        command = uuid.uuid4()
        assert event_id_for(command, "weather.service.event.updated") == uuid.uuid5(
            namespace, f"{command}:weather.service.event.updated"
        )


def test_utc_now_follows_the_clock_at_millisecond_precision() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    now = utc_now()
    after = datetime.now(UTC)
    assert before <= now <= after
    assert utc_now() >= now
