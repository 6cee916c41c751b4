"""Deterministic example values synthesised from a schema: for docs, golden fixtures and tests.

The values are plain but valid: every field filled (optional ones too, so examples show them),
one item per array, one entry per map, the first symbol of each enum.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

__all__ = ["EXAMPLE_TIME", "example_datum", "json_view"]

LOG = logging.getLogger(__name__)

EXAMPLE_TIME: Final = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
_PRIMITIVE_EXAMPLES: Final[dict[str, Any]] = {
    "null": None,
    "boolean": True,
    "int": 7,
    "long": 42,
    "float": 1.5,
    "double": 21.5,
    "bytes": b"\x01\x02",
}


def _uuid_for(name: str) -> UUID:
    return UUID(bytes=hashlib.sha256(name.encode()).digest()[:16], version=4)


def _named_key(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def example_datum(schema: Any) -> Any:
    """Return an example datum (fastavro form) of an Avro schema given as parsed JSON."""
    return _example(schema, "value", None, {})


def _example(node: Any, name: str, namespace: str | None, named: dict[str, Any]) -> Any:
    if isinstance(node, list):
        branches = [b for b in node if b != "null"] or ["null"]
        return _example(branches[0], name, namespace, named)
    if isinstance(node, str):
        if node == "string":
            return f"example {name}"
        if node in _PRIMITIVE_EXAMPLES:
            return _PRIMITIVE_EXAMPLES[node]
        return _example(named[_named_key(node, namespace)], name, namespace, named)
    kind = node["type"]
    logical = node.get("logicalType")
    if logical == "uuid":
        return _uuid_for(name)
    if logical in ("timestamp-millis", "timestamp-micros"):
        return EXAMPLE_TIME
    if logical == "date":
        return date(2026, 1, 31)
    if logical in ("time-millis", "time-micros"):
        return time(10, 0)
    if logical == "decimal":
        return Decimal("1234.5").quantize(Decimal(1).scaleb(-int(node.get("scale", 0))))
    if kind == "record":
        full = _named_key(node["name"], node.get("namespace", namespace))
        named[full] = node
        inner = full.rpartition(".")[0] or None
        return {f["name"]: _example(f["type"], f["name"], inner, named) for f in node["fields"]}
    if kind == "enum":
        named[_named_key(node["name"], node.get("namespace", namespace))] = node
        return node["symbols"][0]
    if kind == "fixed":
        named[_named_key(node["name"], node.get("namespace", namespace))] = node
        return b"\x00" * int(node["size"])
    if kind == "array":
        return [_example(node["items"], name, namespace, named)]
    if kind == "map":
        return {"key": _example(node["values"], name, namespace, named)}
    return _example(kind, name, namespace, named)


def json_view(value: Any) -> Any:
    """Return ``value`` with UUIDs, times, decimals and bytes as strings, ready for ``json.dumps``."""
    if isinstance(value, dict):
        return {k: json_view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_view(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value
