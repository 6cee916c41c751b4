"""The Avro → Python generator: types, converters, defaults, determinism and refusals."""

from __future__ import annotations

import io
import json
import sys
import types
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from codegen.avro_python import AvroCodegenError, ModuleSpec, render_module, snake_case

SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "namespace": "flux.test",
    "doc": "An order.",
    "fields": [
        {"name": "orderId", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["buy", "sell"]}},
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Line",
                    "fields": [
                        {"name": "sku", "type": "string"},
                        {"name": "qty", "type": "int", "default": 1},
                    ],
                },
            },
        },
        {"name": "gift", "type": ["null", "Line"], "default": None},
        {"name": "labels", "type": {"type": "map", "values": "string"}, "default": {}},
        {"name": "by_sku", "type": {"type": "map", "values": "Line"}, "default": {}},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "priority", "type": "Side", "default": "sell"},
        {"name": "ratio", "type": "double", "default": 1},
        {"name": "class", "type": "string", "default": "std"},
    ],
}


def _module(schema: dict[str, Any] = SCHEMA) -> types.ModuleType:
    text = json.dumps(schema, separators=(",", ":"))
    source = render_module(ModuleSpec("test.avsc", schema, text, "test.topic", "test.topic-value", 3))
    module = types.ModuleType("generated_order")
    sys.modules[module.__name__] = module  # dataclasses look the module up while building classes
    try:
        exec(compile(source, "generated_order.py", "exec"), module.__dict__)  # the generator's own output
    finally:
        del sys.modules[module.__name__]
    return module


def test_generated_classes_carry_topic_subject_version_and_parsed_schema() -> None:
    order = _module().Order
    assert (order.TOPIC, order.SUBJECT, order.SCHEMA_VERSION) == ("test.topic", "test.topic-value", 3)
    assert json.loads(order.SCHEMA_TEXT) == SCHEMA
    assert order.PARSED_SCHEMA["__fastavro_parsed"] is True


def test_round_trip_through_fastavro_keeps_every_type() -> None:
    mod = _module()
    order = mod.Order(
        order_id=UUID(int=5),
        placed_at=datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC),
        total=Decimal("12.50"),
        side=mod.Side.BUY,
        lines=[mod.Line(sku="a", qty=2), mod.Line(sku="b")],
        gift=mod.Line(sku="g"),
        labels={"k": "v"},
        by_sku={"a": mod.Line(sku="a")},
        tags=("x",),
        class_="premium",
    )
    buffer = io.BytesIO()
    schemaless_writer(buffer, mod.Order.PARSED_SCHEMA, order.to_dict())
    buffer.seek(0)
    back = mod.Order.from_dict(schemaless_reader(buffer, mod.Order.PARSED_SCHEMA))
    assert back.side is mod.Side.BUY
    assert isinstance(back.side, StrEnum)
    assert back.lines[1].qty == 1
    assert back.gift == mod.Line(sku="g")
    assert back.by_sku["a"] == mod.Line(sku="a")
    assert back.placed_at == order.placed_at and back.placed_at.tzinfo is not None
    assert back.total == Decimal("12.50") and back.order_id == UUID(int=5)
    assert back.class_ == "premium"
    assert back.to_dict() == order.to_dict() | {"tags": ["x"]}


def test_defaults_and_keyword_only_construction() -> None:
    mod = _module()
    line = mod.Line(sku="s")
    assert line.qty == 1
    order = mod.Order(
        order_id=UUID(int=1),
        placed_at=datetime(2026, 1, 1, tzinfo=UTC),
        total=Decimal("1.00"),
        side=mod.Side.SELL,
        lines=[],
    )
    assert (order.gift, order.note, order.tags, order.labels) == (None, None, (), {})
    assert order.priority is mod.Side.SELL
    assert order.ratio == 1.0 and isinstance(order.ratio, float)
    with pytest.raises(TypeError):
        mod.Line("positional")


def test_instances_are_frozen_and_slotted() -> None:
    mod = _module()
    line = mod.Line(sku="s")
    with pytest.raises(AttributeError):
        line.sku = "t"
    assert not hasattr(line, "__dict__")


def test_output_is_deterministic_and_marked_generated() -> None:
    text = json.dumps(SCHEMA)
    spec = ModuleSpec("x.avsc", SCHEMA, text, "t", "t-value", 1)
    first = render_module(spec)
    assert first == render_module(spec)
    assert first.splitlines()[0].endswith("DO NOT EDIT.")


def test_snake_case_of_avro_names() -> None:
    assert snake_case("userId") == "user_id"
    assert snake_case("lat") == "lat"
    assert snake_case("class") == "class_"


@pytest.mark.parametrize(
    "field_type",
    [
        [
            "null",
            {"type": "record", "name": "A", "fields": []},
            {"type": "record", "name": "B", "fields": []},
        ],
        ["string", {"type": "enum", "name": "E", "symbols": ["x"]}],
    ],
)
def test_ambiguous_unions_are_refused(field_type: list[Any]) -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "f", "type": field_type}]}
    with pytest.raises(AvroCodegenError, match="union"):
        render_module(ModuleSpec("r.avsc", schema, json.dumps(schema), "t", "t-value", 1))


def test_schema_of_generated_module_is_accepted_by_fastavro() -> None:
    parse_schema(json.loads(_module().Order.SCHEMA_TEXT))
