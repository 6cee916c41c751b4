"""Protobuf compatibility by Confluent's rules, compiled with grpcio-tools' protoc."""

from __future__ import annotations

import pytest

from flux.schemas.compatibility import (
    CompatibilityLevel,
    InvalidSchemaError,
    SchemaType,
    check_compatibility,
    parse_schema,
)
from flux.schemas.protobuf_schema import ParsedProtobuf

L = CompatibilityLevel
HEAD = 'syntax = "proto3";\npackage flux.t;\n'


def proto(body: str, head: str = HEAD) -> str:
    return head + body


V1 = proto("message Quote { string symbol = 1; double price = 2; }")
V2_ADD = proto("message Quote { string symbol = 1; double price = 2; int64 ts = 3; }")


def check(new: str, old: list[str], level: CompatibilityLevel) -> list[str]:
    return check_compatibility(SchemaType.PROTOBUF, new, old, level)


def rules(problems: list[str]) -> set[str]:
    return {p.split(":", 1)[0] for p in problems}


def test_adding_and_removing_optional_fields_is_compatible() -> None:
    for level in L:
        assert check(V2_ADD, [V1], level) == []
        assert check(V1, [V2_ADD], level) == []


def test_scalar_type_change_outside_wire_group() -> None:
    changed = proto("message Quote { string symbol = 1; string price = 2; }")
    problems = check(changed, [V1], L.BACKWARD)
    assert rules(problems) == {"FIELD_SCALAR_KIND_CHANGED"}
    assert "'flux.t.Quote.price'" not in problems[0]  # names are package-relative
    assert "'Quote.price'" in problems[0]
    assert "double to string" in problems[0]
    assert check(changed, [V1], L.NONE) == []


def test_wire_compatible_scalar_changes() -> None:
    old = proto("message M { int32 a = 1; sint32 b = 2; fixed32 c = 3; string d = 4; }")
    new = proto("message M { int64 a = 1; sint64 b = 2; sfixed32 c = 3; bytes d = 4; }")
    assert check(new, [old], L.FULL) == []


def test_kind_and_named_type_changes() -> None:
    old = proto("message A { int32 x = 1; } message B { int32 y = 1; } message M { A a = 1; int32 n = 2; }")
    kind = proto("message A { int32 x = 1; } message B { int32 y = 1; } message M { A a = 1; A n = 2; }")
    named = proto("message A { int32 x = 1; } message B { int32 y = 1; } message M { B a = 1; int32 n = 2; }")
    assert rules(check(kind, [old], L.BACKWARD)) == {"FIELD_KIND_CHANGED"}
    assert rules(check(named, [old], L.BACKWARD)) == {"FIELD_NAMED_TYPE_CHANGED"}


def test_message_removed_is_backward_incompatible_and_added_is_forward_incompatible() -> None:
    two = proto("message A { int32 x = 1; } message B { int32 y = 1; }")
    one = proto("message A { int32 x = 1; }")
    assert rules(check(one, [two], L.BACKWARD)) == {"MESSAGE_REMOVED"}
    assert check(one, [two], L.FORWARD) == []
    assert rules(check(two, [one], L.FORWARD)) == {"MESSAGE_REMOVED"}
    assert check(two, [one], L.BACKWARD) == []


def test_package_change_alone_is_compatible_as_in_confluent() -> None:
    moved = proto(
        "message Quote { string symbol = 1; double price = 2; }", head='syntax = "proto3";\npackage x;\n'
    )
    assert check(moved, [V1], L.FULL) == []
    retyped = proto(
        "message Quote { int64 symbol = 1; double price = 2; }", head='syntax = "proto3";\npackage x;\n'
    )
    assert check(retyped, [V1], L.BACKWARD) != []  # a real change in the moved package still counts


def test_label_changes() -> None:
    numeric_repeated = proto("message Quote { string symbol = 1; repeated double price = 2; }")
    assert rules(check(numeric_repeated, [V1], L.BACKWARD)) == {"FIELD_NUMERIC_LABEL_CHANGED"}
    string_repeated = proto("message Quote { repeated string symbol = 1; double price = 2; }")
    assert check(string_repeated, [V1], L.BACKWARD) == []


def test_proto2_required_fields() -> None:
    head = 'syntax = "proto2";\npackage flux.t;\n'
    old = proto("message M { optional int32 a = 1; }", head)
    new = proto("message M { optional int32 a = 1; required int32 b = 2; }", head)
    assert rules(check(new, [old], L.BACKWARD)) == {"REQUIRED_FIELD_ADDED"}
    assert rules(check(new, [old], L.FORWARD)) == {"REQUIRED_FIELD_REMOVED"}


def test_oneof_rules() -> None:
    old = proto("message M { int32 a = 1; int32 b = 2; oneof o { int32 c = 3; int32 d = 4; } }")
    into_existing = proto("message M { int32 b = 2; oneof o { int32 a = 1; int32 c = 3; int32 d = 4; } }")
    several_new = proto(
        "message M { oneof n { int32 a = 1; int32 b = 2; } oneof o { int32 c = 3; int32 d = 4; } }"
    )
    one_new = proto(
        "message M { int32 b = 2; oneof n { int32 a = 1; } oneof o { int32 c = 3; int32 d = 4; } }"
    )
    removed = proto("message M { int32 a = 1; int32 b = 2; oneof o { int32 c = 3; } }")
    assert rules(check(into_existing, [old], L.BACKWARD)) == {"FIELD_MOVED_TO_EXISTING_ONEOF"}
    assert rules(check(several_new, [old], L.BACKWARD)) == {"MULTIPLE_FIELDS_MOVED_TO_ONEOF"}
    assert check(one_new, [old], L.BACKWARD) == []
    assert rules(check(removed, [old], L.BACKWARD)) == {"ONEOF_FIELD_REMOVED"}


def test_proto3_optional_is_not_a_oneof() -> None:
    old = proto("message M { optional int32 a = 1; }")
    new = proto("message M { int32 a = 1; }")
    assert check(new, [old], L.FULL) == []


def test_transitive_over_three_versions() -> None:
    v1 = proto("message M { int32 a = 1; }")
    v2 = proto("message M { int32 a = 1; string b = 2; }")
    v3 = proto("message M { string a = 1; string b = 2; }")  # a: int32 -> string vs v1 and v2
    v3b = proto("message M { int32 a = 1; int64 b = 2; }")  # b: string -> int64 vs v2 only
    assert check(v3b, [v1, v2], L.BACKWARD) != []
    assert check(v3, [v1, v2], L.BACKWARD_TRANSITIVE) != []
    v1x = proto("message M { int32 a = 1; double z = 9; }")
    v3z = proto("message M { int32 a = 1; string b = 2; string z = 9; }")
    assert check(v3z, [v1x, v2], L.BACKWARD) == []
    problems = check(v3z, [v1x, v2], L.BACKWARD_TRANSITIVE)
    assert rules(problems) == {"FIELD_SCALAR_KIND_CHANGED"}
    assert "previous schema #1" in problems[0]
    assert check(v3z, [v1x, v2], L.FULL) == []
    assert check(v3z, [v1x, v2], L.FULL_TRANSITIVE) != []
    assert check(v3z, [v1x, v2], L.FORWARD_TRANSITIVE) != []


def test_normalised_identity_ignores_comments_whitespace_and_order() -> None:
    a = parse_schema(
        "PROTOBUF", proto("message Quote { string symbol = 1; double price = 2; }\nenum E { X = 0; }")
    )
    b = parse_schema(
        "PROTOBUF",
        proto(
            "// quotes\nenum E {\n  X = 0;\n}\nmessage Quote {\n  double price = 2; // p\n  string symbol = 1;\n}\n"
        ),
    )
    assert a.identity == b.identity
    c = parse_schema(
        "PROTOBUF", proto("message Quote { string symbol = 1; float price = 2; }\nenum E { X = 0; }")
    )
    assert c.identity != a.identity


def test_base64_descriptor_is_the_same_schema_as_its_text() -> None:
    text = parse_schema("PROTOBUF", V1)
    assert isinstance(text.parsed, ParsedProtobuf)
    serialized = parse_schema("PROTOBUF", text.parsed.serialized_base64())
    assert serialized.identity == text.identity


def test_imports_from_references_and_well_known_types() -> None:
    money = 'syntax = "proto3";\npackage flux.common;\nmessage Money { int64 units = 1; }\n'
    price = proto(
        'import "flux/common/money.proto";\nimport "google/protobuf/timestamp.proto";\n'
        "message Price { flux.common.Money m = 1; google.protobuf.Timestamp at = 2; }"
    )
    with pytest.raises(InvalidSchemaError):
        parse_schema("PROTOBUF", price)
    parsed = parse_schema("PROTOBUF", price, {"flux/common/money.proto": money})
    assert isinstance(parsed.parsed, ParsedProtobuf)
    assert set(parsed.parsed.dependencies) >= {"flux/common/money.proto"}


@pytest.mark.parametrize(
    "text", ["", "message {", 'syntax = "proto3"; message M { int32 a = 1; int32 b = 1; }', "AAAA", "{}"]
)
def test_invalid_protobuf_raises_with_protoc_message(text: str) -> None:
    with pytest.raises(InvalidSchemaError, match="Invalid"):
        parse_schema("PROTOBUF", text)


def test_protoc_error_names_the_problem() -> None:
    with pytest.raises(InvalidSchemaError, match=r"1:\d+: Field number 1 has already been used"):
        parse_schema("PROTOBUF", 'syntax = "proto3"; message M { int32 a = 1; int32 b = 1; }')


def test_builtin_imports_need_no_references() -> None:
    text = proto(
        'import "google/type/money.proto";\nimport "confluent/meta.proto";\n'
        'message Priced { google.type.Money m = 1 [(confluent.field_meta).doc = "amount"]; }'
    )
    parsed = parse_schema("PROTOBUF", text)
    assert isinstance(parsed.parsed, ParsedProtobuf)
    assert parse_schema("PROTOBUF", parsed.parsed.serialized_base64()).identity == parsed.identity
    with pytest.raises(InvalidSchemaError, match="not_a_builtin"):
        parse_schema("PROTOBUF", proto('import "acme/not_a_builtin.proto";\nmessage X { int32 a = 1; }'))
