"""Hypothesis strategies of Avro datums (fastavro's form) for any schema: contracts and synthetic ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SIMPLE: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False),
    "float": st.floats(width=32, allow_nan=False),
    "string": st.text(max_size=20),
    "bytes": st.binary(max_size=20),
}


def datum_strategy(schema: Any) -> st.SearchStrategy[Any]:
    """Datums of ``schema`` (the JSON form, not fastavro's parsed form)."""
    return _strategy(schema, {}, None)


def _full_name(node: dict[str, Any], namespace: str | None) -> str:
    name = str(node["name"])
    if "." in name:
        return name
    space = node.get("namespace", namespace)
    return f"{space}.{name}" if space else name


def _strategy(node: Any, named: dict[str, Any], namespace: str | None) -> st.SearchStrategy[Any]:
    if isinstance(node, list):
        return st.one_of(*[_strategy(branch, named, namespace) for branch in node])
    if isinstance(node, str):
        if node in _SIMPLE:
            return _SIMPLE[node]
        full = node if "." in node or not namespace else f"{namespace}.{node}"
        target = named.get(full, named.get(node))
        if target is None:
            raise KeyError(node)
        # deferred: a record may name itself (recursion), its strategy is built on first draw
        return st.deferred(lambda: _strategy(target, named, full.rpartition(".")[0] or None))
    logical = node.get("logicalType")
    kind = node["type"]
    if logical == "uuid":
        return st.uuids()
    if logical == "timestamp-millis":
        return st.integers(0, 4_102_444_800_000).map(lambda ms: EPOCH + timedelta(milliseconds=ms))
    if logical == "timestamp-micros":
        return st.integers(0, 4_102_444_800_000_000).map(lambda us: EPOCH + timedelta(microseconds=us))
    if logical == "date":
        return st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1))
    if logical == "time-millis":
        return st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
    if logical == "time-micros":
        return st.times().map(lambda t: time(t.hour, t.minute, t.second, t.microsecond))
    if logical == "decimal":
        scale, precision = int(node.get("scale", 0)), int(node["precision"])
        return st.integers(-(10 ** (precision - 1)), 10 ** (precision - 1)).map(
            lambda i: Decimal(i).scaleb(-scale)
        )
    if kind in ("record", "error"):
        full = _full_name(node, namespace)
        named[full] = node
        inner = full.rpartition(".")[0] or None
        return st.fixed_dictionaries({f["name"]: _strategy(f["type"], named, inner) for f in node["fields"]})
    if kind == "enum":
        named[_full_name(node, namespace)] = node
        return st.sampled_from(node["symbols"])
    if kind == "fixed":
        named[_full_name(node, namespace)] = node
        return st.binary(min_size=node["size"], max_size=node["size"])
    if kind == "array":
        return st.lists(_strategy(node["items"], named, namespace), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), _strategy(node["values"], named, namespace), max_size=3)
    return _strategy(kind, named, namespace)
