"""Protobuf compatibility by Confluent's documented rules, comparing compiled descriptors.

Checked: package changes, removed messages, field kind / scalar type (outside wire-compatible
groups) / named type changes, singular<->repeated changes of numeric fields, required fields
added or removed, fields removed from or moved out of a oneof, fields moved into an existing
oneof, several fields moved into a new oneof. Adding or removing optional fields, enums and
enum values is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from google.protobuf import descriptor_pb2

from flux.schemas.protobuf_schema import ParsedProtobuf

__all__ = ["protobuf_compatibility_messages"]

FieldProto = descriptor_pb2.FieldDescriptorProto

_VARINT: Final = frozenset(
    {
        FieldProto.TYPE_INT32,
        FieldProto.TYPE_UINT32,
        FieldProto.TYPE_INT64,
        FieldProto.TYPE_UINT64,
        FieldProto.TYPE_BOOL,
    }
)
_WIRE_GROUPS: Final = (
    _VARINT,
    frozenset({FieldProto.TYPE_SINT32, FieldProto.TYPE_SINT64}),
    frozenset({FieldProto.TYPE_FIXED32, FieldProto.TYPE_SFIXED32}),
    frozenset({FieldProto.TYPE_FIXED64, FieldProto.TYPE_SFIXED64}),
    frozenset({FieldProto.TYPE_STRING, FieldProto.TYPE_BYTES}),
)
_LENGTH_DELIMITED: Final = frozenset({FieldProto.TYPE_STRING, FieldProto.TYPE_BYTES, FieldProto.TYPE_MESSAGE})


@dataclass(frozen=True, slots=True)
class _FieldView:
    name: str
    number: int
    type: int
    type_name: str
    label: int
    oneof: str | None


def _type_label(type_: int) -> str:
    return str(FieldProto.Type.Name(type_)).removeprefix("TYPE_").lower()


def _messages(proto: descriptor_pb2.FileDescriptorProto) -> dict[str, descriptor_pb2.DescriptorProto]:
    found: dict[str, descriptor_pb2.DescriptorProto] = {}

    def walk(prefix: str, message: descriptor_pb2.DescriptorProto) -> None:
        full = f"{prefix}.{message.name}" if prefix else message.name
        found[full] = message
        for nested in message.nested_type:
            walk(full, nested)

    for message in proto.message_type:
        walk("", message)
    return found


def _fields(message: descriptor_pb2.DescriptorProto) -> dict[int, _FieldView]:
    real_oneofs = {
        i: o.name
        for i, o in enumerate(message.oneof_decl)
        if not any(
            f.proto3_optional and f.oneof_index == i for f in message.field if f.HasField("oneof_index")
        )
    }
    return {
        f.number: _FieldView(
            name=f.name,
            number=f.number,
            type=f.type,
            type_name=f.type_name.lstrip(".").removeprefix(""),
            label=f.label,
            oneof=real_oneofs.get(f.oneof_index) if f.HasField("oneof_index") else None,
        )
        for f in message.field
    }


def _kind(field: _FieldView) -> str:
    if field.type in (FieldProto.TYPE_MESSAGE, FieldProto.TYPE_GROUP):
        return "message"
    if field.type == FieldProto.TYPE_ENUM:
        return "enum"
    return "scalar"


def _local_name(type_name: str, package: str) -> str:
    return type_name.removeprefix(f"{package}.") if package else type_name


def _compare_field(where: str, old: _FieldView, new: _FieldView, old_pkg: str, new_pkg: str) -> list[str]:
    problems: list[str] = []
    if _kind(old) != _kind(new):
        problems.append(
            f"FIELD_KIND_CHANGED: field {where} (#{old.number}) changed from {_kind(old)} to {_kind(new)}"
        )
    elif _kind(old) == "scalar" and old.type != new.type:
        if not any(old.type in g and new.type in g for g in _WIRE_GROUPS):
            problems.append(
                f"FIELD_SCALAR_KIND_CHANGED: field {where} (#{old.number}) changed type from "
                f"{_type_label(old.type)} to {_type_label(new.type)}"
            )
    elif _kind(old) != "scalar" and _local_name(old.type_name, old_pkg) != _local_name(
        new.type_name, new_pkg
    ):
        problems.append(
            f"FIELD_NAMED_TYPE_CHANGED: field {where} (#{old.number}) changed type from "
            f"{old.type_name} to {new.type_name}"
        )
    if old.label != new.label:
        required = FieldProto.LABEL_REQUIRED
        if new.label == required:
            problems.append(f"REQUIRED_FIELD_ADDED: field {where} (#{old.number}) became required")
        elif old.label == required:
            pass  # required -> optional/repeated reads old data fine
        elif old.type in _LENGTH_DELIMITED and new.type in _LENGTH_DELIMITED:
            pass  # optional <-> repeated for length-delimited types is wire compatible
        else:
            problems.append(
                f"FIELD_NUMERIC_LABEL_CHANGED: field {where} (#{old.number}) changed between "
                f"singular and repeated for a numeric type"
            )
    return problems


def _compare_message(
    full_name: str,
    old: descriptor_pb2.DescriptorProto,
    new: descriptor_pb2.DescriptorProto,
    old_pkg: str,
    new_pkg: str,
) -> list[str]:
    problems: list[str] = []
    old_fields, new_fields = _fields(old), _fields(new)
    for number, old_field in sorted(old_fields.items()):
        where = f"'{full_name}.{old_field.name}'"
        new_field = new_fields.get(number)
        if new_field is None:
            if old_field.label == FieldProto.LABEL_REQUIRED:
                problems.append(f"REQUIRED_FIELD_REMOVED: required field {where} (#{number}) was removed")
            if old_field.oneof is not None:
                problems.append(
                    f"ONEOF_FIELD_REMOVED: field {where} (#{number}) was removed from "
                    f"oneof '{old_field.oneof}'"
                )
            continue
        problems.extend(_compare_field(where, old_field, new_field, old_pkg, new_pkg))
        if old_field.oneof is not None and new_field.oneof is None:
            problems.append(
                f"ONEOF_FIELD_REMOVED: field {where} (#{number}) was moved out of oneof '{old_field.oneof}'"
            )
    for number, new_field in sorted(new_fields.items()):
        if number not in old_fields and new_field.label == FieldProto.LABEL_REQUIRED:
            problems.append(
                f"REQUIRED_FIELD_ADDED: required field '{full_name}.{new_field.name}' (#{number}) was added"
            )
    old_oneofs = {f.oneof for f in old_fields.values() if f.oneof is not None}
    moved: dict[str, list[str]] = {}
    for number, new_field in new_fields.items():
        previous = old_fields.get(number)
        if new_field.oneof is None or previous is None or previous.oneof is not None:
            continue
        moved.setdefault(new_field.oneof, []).append(new_field.name)
    for oneof, names in sorted(moved.items()):
        if oneof in old_oneofs:
            problems.append(
                f"FIELD_MOVED_TO_EXISTING_ONEOF: field(s) {sorted(names)} of '{full_name}' moved into "
                f"existing oneof '{oneof}'"
            )
        elif len(names) > 1:
            problems.append(
                f"MULTIPLE_FIELDS_MOVED_TO_ONEOF: fields {sorted(names)} of '{full_name}' moved into "
                f"new oneof '{oneof}'"
            )
    return problems


def protobuf_compatibility_messages(
    reader: ParsedProtobuf, writer: ParsedProtobuf, *, direction: str
) -> list[str]:
    """Return why data written with ``writer`` is not readable with ``reader`` (Confluent's rules).

    Checked: package changes, removed messages, field kind / scalar type (outside
    wire-compatible groups) / named type changes, singular<->repeated changes of
    numeric fields, required fields added or removed, fields removed from or moved
    out of a oneof, fields moved into an existing oneof, several fields moved into a
    new oneof. Adding or removing optional fields, enums and enum values is allowed.
    """
    old, new = writer.file, reader.file
    problems: list[str] = []
    if old.package != new.package:
        problems.append(f"PACKAGE_CHANGED: package changed from '{old.package}' to '{new.package}'")
    old_messages, new_messages = _messages(old), _messages(new)
    for full_name, old_message in old_messages.items():
        if old_message.options.map_entry:
            continue
        new_message = new_messages.get(full_name)
        if new_message is None:
            problems.append(f"MESSAGE_REMOVED: message '{full_name}' was removed")
            continue
        problems.extend(_compare_message(full_name, old_message, new_message, old.package, new.package))
    for full_name, old_message in old_messages.items():
        new_message = new_messages.get(full_name)
        if old_message.options.map_entry and new_message is not None:
            problems.extend(_compare_message(full_name, old_message, new_message, old.package, new.package))
    return [f"{p} [{direction}]" for p in problems]
