"""Avro compatibility at every level, with concrete schema pairs (Apache Avro's resolution rules)."""

from __future__ import annotations

import json

import pytest

from flux.schemas.compatibility import (
    CompatibilityLevel,
    InvalidSchemaError,
    SchemaType,
    check_compatibility,
    parse_schema,
)

L = CompatibilityLevel


def record(*fields: dict[str, object], name: str = "Reading") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "flux.t", "fields": list(fields)})


A = {"name": "a", "type": "int"}
B_NO_DEFAULT = {"name": "b", "type": "string"}
B_DEFAULT = {"name": "b", "type": "string", "default": ""}
C_DEFAULT = {"name": "c", "type": "long", "default": 0}

V_A = record(A)
V_AB = record(A, B_NO_DEFAULT)
V_AB_DEF = record(A, B_DEFAULT)


def check(new: str, old: list[str], level: CompatibilityLevel) -> list[str]:
    return check_compatibility(SchemaType.AVRO, new, old, level)


@pytest.mark.parametrize(
    ("new", "old", "level", "compatible"),
    [
        # adding a field without default: a new reader cannot fill it from old data
        (V_AB, V_A, L.BACKWARD, False),
        (V_AB, V_A, L.FORWARD, True),
        (V_AB, V_A, L.FULL, False),
        (V_AB, V_A, L.NONE, True),
        # adding a field with a default: fine both ways
        (V_AB_DEF, V_A, L.BACKWARD, True),
        (V_AB_DEF, V_A, L.FORWARD, True),
        (V_AB_DEF, V_A, L.FULL, True),
        # removing a field without default: old readers cannot fill it
        (V_A, V_AB, L.BACKWARD, True),
        (V_A, V_AB, L.FORWARD, False),
        (V_A, V_AB, L.FULL, False),
        # removing a field with a default
        (V_A, V_AB_DEF, L.FULL, True),
        # int -> long promotion is readable by the new reader only
        (record({"name": "a", "type": "long"}), V_A, L.BACKWARD, True),
        (record({"name": "a", "type": "long"}), V_A, L.FORWARD, False),
        # a type change that never promotes
        (record({"name": "a", "type": "string"}), V_A, L.BACKWARD, False),
        (record({"name": "a", "type": "string"}), V_A, L.NONE, True),
    ],
)
def test_single_step_levels(new: str, old: str, level: CompatibilityLevel, compatible: bool) -> None:
    assert (check(new, [old], level) == []) is compatible


def test_transitive_levels_look_at_every_version() -> None:
    # v1 {a}, v2 {a, b=""} , v3 {a, b (no default)}: v3 reads v2 data, but not v1 data.
    history = [V_A, V_AB_DEF]
    assert check(V_AB, history, L.BACKWARD) == []
    problems = check(V_AB, history, L.BACKWARD_TRANSITIVE)
    assert len(problems) == 1
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in problems[0]
    assert "(field 'b'; b)" in problems[0]
    assert "previous schema #1" in problems[0]


def test_forward_transitive_over_three_versions() -> None:
    # v1 {a, b}, v2 {a, b, c=0}; v3 drops b: v2 readers have no default for b? v2 has b without default.
    v1 = record(A, B_NO_DEFAULT)
    v2 = record(A, B_DEFAULT, C_DEFAULT)
    v3 = record(A, C_DEFAULT)
    assert check(v3, [v1, v2], L.FORWARD) == []
    assert check(v3, [v1, v2], L.FORWARD_TRANSITIVE) != []
    assert check(v3, [v1, v2], L.FULL) == []
    assert check(v3, [v1, v2], L.FULL_TRANSITIVE) != []


def test_enum_symbol_removal_and_union_branches() -> None:
    def enum(*symbols: str) -> str:
        return record({"name": "e", "type": {"type": "enum", "name": "E", "symbols": list(symbols)}})

    assert check(enum("X"), [enum("X", "Y")], L.BACKWARD)[0].startswith("MISSING_ENUM_SYMBOLS")
    assert check(enum("X", "Y"), [enum("X")], L.BACKWARD) == []
    narrow = record({"name": "u", "type": ["null", "int"]})
    wide = record({"name": "u", "type": ["null", "int", "string"]})
    assert check(wide, [narrow], L.BACKWARD) == []
    assert "MISSING_UNION_BRANCH" in check(narrow, [wide], L.BACKWARD)[0]


def test_messages_name_the_level_and_direction() -> None:
    problems = check(record({"name": "a", "type": "string"}), [V_A], L.FULL)
    assert len(problems) == 2
    assert any("new schema reading" in p for p in problems)
    assert any("reading new schema" in p for p in problems)
    assert all("TYPE_MISMATCH" in p and "FULL" in p for p in problems)


def test_identity_ignores_whitespace_attribute_order_and_doc() -> None:
    compact = parse_schema("AVRO", V_AB_DEF)
    spaced = json.dumps(
        {
            "fields": [
                {"type": "int", "name": "a", "doc": "x"},
                {"default": "", "name": "b", "type": "string"},
            ],
            "doc": "readings",
            "name": "Reading",
            "namespace": "flux.t",
            "type": "record",
        },
        indent=4,
    )
    assert parse_schema("AVRO", spaced).identity == compact.identity
    full_name = json.dumps({"type": "record", "name": "flux.t.Reading", "fields": [A, B_DEFAULT]})
    assert parse_schema("AVRO", full_name).identity == compact.identity


def test_identity_keeps_what_changes_reading() -> None:
    base = parse_schema("AVRO", V_AB_DEF)
    other_default = parse_schema("AVRO", record(A, {"name": "b", "type": "string", "default": "z"}))
    assert other_default.identity != base.identity
    # Parsing Canonical Form itself drops defaults (the Avro specification's rule).
    assert other_default.canonical == base.canonical
    assert base.canonical == (
        '{"name":"flux.t.Reading","type":"record","fields":[{"name":"a","type":"int"},'
        '{"name":"b","type":"string"}]}'
    )
    logical = parse_schema("AVRO", record({"name": "a", "type": {"type": "int", "logicalType": "date"}}))
    assert logical.identity != parse_schema("AVRO", V_A).identity


def test_references_provide_named_types() -> None:
    money = json.dumps(
        {
            "type": "record",
            "name": "Money",
            "namespace": "flux.common",
            "fields": [{"name": "cents", "type": "long"}],
        }
    )
    price = json.dumps(
        {"type": "record", "name": "Price", "fields": [{"name": "m", "type": "flux.common.Money"}]}
    )
    with pytest.raises(InvalidSchemaError):
        parse_schema("AVRO", price)
    parsed = parse_schema("AVRO", price, {"flux.common.Money": money})
    assert "flux.common.Money" in parsed.canonical
    assert check_compatibility("AVRO", price, [price], "FULL", references={"m": money}) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"type":"record"}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}',
        "42",
    ],
)
def test_invalid_schemas_raise(text: str) -> None:
    with pytest.raises(InvalidSchemaError):
        parse_schema("AVRO", text)


def test_unknown_schema_type_raises() -> None:
    with pytest.raises(InvalidSchemaError):
        parse_schema("XML", V_A)


@pytest.mark.parametrize(
    ("field_type", "default"),
    [
        ("int", "x"),
        (["null", "int"], 1),
        ("long", 2**70),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, "B"),
        ({"type": "fixed", "name": "F", "size": 2}, "abc"),
        ({"type": "array", "items": "int"}, ["a"]),
        ("boolean", 0),
    ],
)
def test_defaults_must_fit_their_type(field_type: object, default: object) -> None:
    with pytest.raises(InvalidSchemaError, match="default value"):
        parse_schema("AVRO", record({"name": "a", "type": field_type, "default": default}))


@pytest.mark.parametrize(
    ("field_type", "default"),
    [
        (["null", "int"], None),
        (["int", "null"], 3),
        ("bytes", "\u00ff"),
        ("double", 1),
        ({"type": "map", "values": "long"}, {"k": 1}),
    ],
)
def test_valid_defaults_are_accepted(field_type: object, default: object) -> None:
    parse_schema("AVRO", record({"name": "a", "type": field_type, "default": default}))


def test_deeply_nested_text_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidSchemaError, match="nested too deeply"):
        parse_schema("AVRO", "[" * 5000 + "]" * 5000)


def test_messages_name_nested_fields() -> None:
    def with_city(city_type: str) -> str:
        return record(
            {
                "name": "loc",
                "type": {"type": "record", "name": "Loc", "fields": [{"name": "city", "type": city_type}]},
            }
        )

    problems = check(with_city("int"), [with_city("string")], L.BACKWARD)
    assert len(problems) == 1
    assert "field 'loc.city'" in problems[0]
    assert problems[0].startswith("TYPE_MISMATCH")


def test_avro_message_shape_is_stable() -> None:
    """Tools parse ``RULE at /location[, /location] (...)`` (the schema gate names fields from it)."""
    import re

    problems = check(
        record({"name": "a", "type": "string"}, B_NO_DEFAULT), [record(A, B_DEFAULT)], L.BACKWARD
    )
    assert re.match(r"^[A-Z_/]+ at /[^ ,]*(, /[^ ,]*)* \(", problems[0]), problems[0]
