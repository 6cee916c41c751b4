"""Avro datums to JSON values and back, for JSONata rules (which accept JSON types only).

fastavro reads logical types as Python objects (``UUID``, aware ``datetime``, ``Decimal``, ``date``);
jsonata-python refuses anything that is not a JSON value, so confluent-kafka's JSONata executor fails
on any record with a logical type. :func:`to_json_value` gives a rule the record as Avro's JSON
encoding would (uuid as text, timestamps as epoch numbers, decimals as text, bytes as latin-1 text),
and :func:`from_json_value` turns the rule's result back into a datum of the *target* schema, reading
each value by the type the target declares there.

Example:
    >>> from uuid import UUID
    >>> schema = {"type": "record", "name": "R", "fields": [
    ...     {"name": "id", "type": {"type": "string", "logicalType": "uuid"}}]}
    >>> to_json_value({"id": UUID(int=1)})
    {'id': '00000000-0000-0000-0000-000000000001'}
    >>> from_json_value({"id": "00000000-0000-0000-0000-000000000001"}, schema)
    {'id': UUID('00000000-0000-0000-0000-000000000001')}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

__all__ = ["from_json_value", "to_json_value"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY: Final = date(1970, 1, 1)
_MICROS: Final = timedelta(microseconds=1)


def to_json_value(value: Any) -> Any:
    """``value`` (a fastavro datum) with every logical-type object as its Avro JSON encoding."""
    if isinstance(value, Mapping):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return (aware - _EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, date):
        return (value - _EPOCH_DAY).days
    if isinstance(value, time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _fits(value: Any, schema: Any) -> bool:
    """Whether ``value`` (a JSON value) can be a datum of ``schema`` (one union branch)."""
    kind = schema if isinstance(schema, str) else schema.get("type") if isinstance(schema, dict) else None
    if value is None:
        return kind == "null"
    if isinstance(value, bool):
        return kind == "boolean"
    if isinstance(value, dict):
        return kind in ("record", "map")
    if isinstance(value, list):
        return kind == "array"
    if isinstance(value, int | float):
        return kind in ("int", "long", "float", "double") or (
            isinstance(schema, dict) and schema.get("logicalType") == "decimal"
        )
    if isinstance(value, str):
        return kind in ("string", "bytes", "enum", "fixed")
    return False


def _logical(value: Any, schema: dict[str, Any]) -> Any:
    logical = schema.get("logicalType")
    if logical == "uuid" and isinstance(value, str):
        return UUID(value)
    if logical == "timestamp-millis" and isinstance(value, int | float):
        return _EPOCH + timedelta(milliseconds=value)
    if logical == "timestamp-micros" and isinstance(value, int | float):
        return _EPOCH + value * _MICROS
    if logical == "date" and isinstance(value, int):
        return _EPOCH_DAY + timedelta(days=value)
    if logical == "decimal" and isinstance(value, str | int | float):
        return Decimal(str(value))
    if schema.get("type") in ("bytes", "fixed") and isinstance(value, str):
        return value.encode("latin-1")
    return value


def from_json_value(value: Any, schema: Any) -> Any:
    """Read ``value`` (a JSON value) as a datum of ``schema`` (parsed JSON, named types inlined as
    fastavro's ``expand_schema`` leaves them); values the schema does not describe pass unchanged."""
    if isinstance(schema, list):
        for branch in schema:
            if _fits(value, branch):
                return from_json_value(value, branch)
        return value
    if not isinstance(schema, dict):
        return value.encode("latin-1") if schema == "bytes" and isinstance(value, str) else value
    kind = schema.get("type")
    if isinstance(kind, dict | list):
        return from_json_value(value, kind)
    if kind == "record" and isinstance(value, dict):
        fields = {f["name"]: f["type"] for f in schema.get("fields", [])}
        return {k: from_json_value(v, fields[k]) if k in fields else v for k, v in value.items()}
    if kind == "array" and isinstance(value, list):
        return [from_json_value(v, schema["items"]) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: from_json_value(v, schema["values"]) for k, v in value.items()}
    return _logical(value, schema)
