"""Property: any valid value of any contract survives encode → decode, byte-identical to fastavro."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux.contracts.types import AvroContract
from flux.serde import AvroCodec

from .samples import ALL_AVRO

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _strategy(node: Any, named: dict[str, Any], namespace: str | None) -> st.SearchStrategy[Any]:
    if isinstance(node, list):
        return st.one_of(*[_strategy(branch, named, namespace) for branch in node])
    if isinstance(node, str):
        simple: dict[str, st.SearchStrategy[Any]] = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": st.integers(-(2**31), 2**31 - 1),
            "long": st.integers(-(2**63), 2**63 - 1),
            "double": st.floats(allow_nan=False),
            "float": st.floats(width=32, allow_nan=False),
            "string": st.text(max_size=20),
            "bytes": st.binary(max_size=20),
        }
        if node in simple:
            return simple[node]
        full = node if "." in node or not namespace else f"{namespace}.{node}"
        return _strategy(named[full], named, namespace)
    logical = node.get("logicalType")
    if logical == "uuid":
        return st.uuids()
    if logical == "timestamp-millis":
        return st.integers(0, 4_102_444_800_000).map(lambda ms: EPOCH + timedelta(milliseconds=ms))
    if logical == "decimal":
        scale, precision = int(node.get("scale", 0)), int(node["precision"])
        return st.integers(-(10 ** (precision - 1)), 10 ** (precision - 1)).map(
            lambda i: Decimal(i).scaleb(-scale)
        )
    kind = node["type"]
    if kind == "record":
        full = node["name"] if "." in node["name"] else f"{node.get('namespace', namespace)}.{node['name']}"
        named[full] = node
        inner = full.rpartition(".")[0]
        return st.fixed_dictionaries({f["name"]: _strategy(f["type"], named, inner) for f in node["fields"]})
    if kind == "enum":
        named[f"{node.get('namespace', namespace)}.{node['name']}"] = node
        return st.sampled_from(node["symbols"])
    if kind == "array":
        return st.lists(_strategy(node["items"], named, namespace), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), _strategy(node["values"], named, namespace), max_size=3)
    return _strategy(kind, named, namespace)


@pytest.mark.parametrize("contract", ALL_AVRO, ids=lambda c: c.__name__)
def test_random_values_round_trip(contract: type[AvroContract]) -> None:
    schema = json.loads(contract.SCHEMA_TEXT)
    parsed = parse_schema(schema)
    codec = AvroCodec(contract, 1)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_strategy(schema, {}, None))
    def check(datum: dict[str, Any]) -> None:
        obj = contract.from_dict(datum)
        data = codec.encode(obj)
        body = io.BytesIO()
        schemaless_writer(body, parsed, datum)
        assert data[5:] == body.getvalue()
        assert codec.decode(data) == obj

    check()
