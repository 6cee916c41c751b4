"""Protobuf compatibility as Confluent 8.1's ``ProtobufSchemaDiff`` judges it
(``io.confluent.kafka.schemaregistry.protobuf.diff``), where Flux's rules once differed.

The rules, as Confluent's ``FieldSchemaDiff`` and ``SchemaDiff`` apply them:

* an enum field is a scalar of the "general number" group (int32, int64, uint32, uint64, bool), so
  enum <-> those scalars, and one enum type <-> another, are wire compatible;
* ``PACKAGE_CHANGED`` is a compatible change;
* a message-typed field is compared by the type's name *relative to the package that defines it*
  (its own file's or an imported file's), and the two message types are then compared field by
  field, recursively, when they are not the same referenced subject version.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from flux.schemas.compatibility import (
    CompatibilityLevel,
    SchemaType,
    check_parsed_compatibility,
    parse_schema,
)

L = CompatibilityLevel


def problems(
    new: str,
    old: str,
    level: CompatibilityLevel = L.BACKWARD,
    *,
    new_refs: Mapping[str, str] | None = None,
    old_refs: Mapping[str, str] | None = None,
) -> list[str]:
    parsed_new = parse_schema(SchemaType.PROTOBUF, new, new_refs)
    parsed_old = parse_schema(SchemaType.PROTOBUF, old, old_refs)
    return check_parsed_compatibility(parsed_new, [parsed_old], level)


def proto(body: str, package: str = "flux.t", imports: tuple[str, ...] = ()) -> str:
    head = f'syntax = "proto3";\npackage {package};\n' + "".join(f'import "{i}";\n' for i in imports)
    return head + body


ENUMS = "enum Side { BUY = 0; SELL = 1; } enum Kind { A = 0; B = 1; }"


@pytest.mark.parametrize("scalar", ["int32", "int64", "uint32", "uint64", "bool"])
def test_enum_field_to_general_number_is_compatible(scalar: str) -> None:
    old = proto(ENUMS + " message M { Side s = 1; }")
    new = proto(ENUMS + f" message M {{ {scalar} s = 1; }}")
    assert problems(new, old, L.FULL) == []


def test_int32_field_to_enum_is_compatible() -> None:
    old = proto(ENUMS + " message M { int32 s = 1; }")
    new = proto(ENUMS + " message M { Side s = 1; }")
    assert problems(new, old, L.FULL) == []


def test_enum_field_to_another_enum_is_compatible() -> None:
    old = proto(ENUMS + " message M { Side s = 1; }")
    new = proto(ENUMS + " message M { Kind s = 1; }")
    assert problems(new, old, L.FULL) == []


def test_enum_field_to_signed_or_fixed_scalar_stays_incompatible() -> None:
    """Not a difference: Confluent too refuses enum -> sint32 / fixed32 / string."""
    old = proto(ENUMS + " message M { Side s = 1; }")
    for scalar in ("sint32", "fixed32", "string"):
        assert problems(proto(ENUMS + f" message M {{ {scalar} s = 1; }}"), old) != []


def test_package_change_is_compatible() -> None:
    body = "message Quote { string symbol = 1; double price = 2; }"
    assert problems(proto(body, "flux.v2"), proto(body, "flux.v1"), L.FULL) == []


MONEY_COMMON = proto("message Money { int64 cents = 1; }", "common")
MONEY_SHARED = proto("message Money { int64 cents = 1; }", "shared")
MONEY_TEXT = proto("message Money { string cents = 1; }", "common")


def test_imported_type_moved_to_another_package_is_compatible() -> None:
    old = proto("message Order { common.Money m = 1; }", "orders", ("money.proto",))
    new = proto("message Order { shared.Money m = 1; }", "orders", ("shared/money.proto",))
    found = problems(
        new,
        old,
        L.FULL,
        old_refs={"money.proto": MONEY_COMMON},
        new_refs={"shared/money.proto": MONEY_SHARED},
    )
    assert found == []


def test_imported_type_moved_into_the_file_is_compatible() -> None:
    old = proto("message Order { common.Money m = 1; }", "orders", ("money.proto",))
    new = proto("message Money { int64 cents = 1; } message Order { Money m = 1; }", "orders")
    assert problems(new, old, L.BACKWARD, old_refs={"money.proto": MONEY_COMMON}) == []


def test_incompatible_change_inside_an_imported_type_is_found() -> None:
    order = proto("message Order { common.Money m = 1; }", "orders", ("money.proto",))
    found = problems(
        order, order, old_refs={"money.proto": MONEY_COMMON}, new_refs={"money.proto": MONEY_TEXT}
    )
    assert found != []
