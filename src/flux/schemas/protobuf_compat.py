"""Protobuf compatibility by Confluent's rules (``ProtobufSchemaDiff``), comparing compiled descriptors.

Checked: removed messages, field kind / scalar type (outside wire-compatible groups) / named
type changes, singular<->repeated changes of numeric fields, required fields added or removed,
fields removed from or moved out of a oneof, fields moved into an existing oneof, several fields
moved into a new oneof. Allowed, as Confluent allows them: adding or removing optional fields,
enums and enum values; a package change; an enum field read as int32/int64/uint32/uint64/bool or
as another enum (an enum is a varint on the wire), and the reverse.

A message-typed field is judged by its type's name relative to the package of the file that
defines it (the schema's own or an imported one), so a type moved to another package or into
the file keeps its identity; types defined in imported files are then compared field by field,
recursively, so a breaking change inside an imported type is found.
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
    """``message`` or ``scalar``: an enum is a varint on the wire, a scalar of the varint group."""
    if field.type in (FieldProto.TYPE_MESSAGE, FieldProto.TYPE_GROUP):
        return "message"
    return "scalar"


def _wire_group(type_: int) -> frozenset[int] | None:
    if type_ == FieldProto.TYPE_ENUM:
        return _VARINT
    return next((g for g in _WIRE_GROUPS if type_ in g), None)


def _scalar_label(type_: int) -> str:
    return "enum" if type_ == FieldProto.TYPE_ENUM else _type_label(type_)


@dataclass(frozen=True, slots=True)
class _TypeIndex:
    """Every message of a schema and its imports: full name -> (package, message, defined in an import)."""

    messages: dict[str, tuple[str, descriptor_pb2.DescriptorProto, bool]]

    @classmethod
    def of(cls, parsed: ParsedProtobuf) -> _TypeIndex:
        found: dict[str, tuple[str, descriptor_pb2.DescriptorProto, bool]] = {}
        files = [(parsed.file, False)] + [(dep, True) for dep in parsed.dependencies.values()]
        for proto, imported in files:
            prefix = f"{proto.package}." if proto.package else ""
            for local, message in _messages(proto).items():
                found.setdefault(prefix + local, (proto.package, message, imported))
        return cls(found)

    def local_name(self, type_name: str, fallback_package: str) -> str:
        """The type's name relative to the package that defines it."""
        entry = self.messages.get(type_name)
        package = entry[0] if entry is not None else fallback_package
        return type_name.removeprefix(f"{package}.") if package else type_name


@dataclass(slots=True)
class _Comparison:
    """One writer/reader pair: both type indexes and the imported type pairs already compared."""

    old_index: _TypeIndex
    new_index: _TypeIndex
    old_pkg: str
    new_pkg: str
    seen: set[tuple[str, str]]


def _compare_field(where: str, old: _FieldView, new: _FieldView, pair: _Comparison) -> list[str]:
    problems: list[str] = []
    if _kind(old) != _kind(new):
        problems.append(
            f"FIELD_KIND_CHANGED: field {where} (#{old.number}) changed from "
            f"{'message' if _kind(old) == 'message' else _scalar_label(old.type)} to "
            f"{'message' if _kind(new) == 'message' else _scalar_label(new.type)}"
        )
    elif _kind(old) == "scalar" and old.type != new.type:
        group = _wire_group(old.type)
        if group is None or (
            new.type not in group and not (new.type == FieldProto.TYPE_ENUM and group is _VARINT)
        ):
            problems.append(
                f"FIELD_SCALAR_KIND_CHANGED: field {where} (#{old.number}) changed type from "
                f"{_scalar_label(old.type)} to {_scalar_label(new.type)}"
            )
    elif _kind(old) == "message":
        problems.extend(_compare_message_types(where, old, new, pair))
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


def _compare_message_types(where: str, old: _FieldView, new: _FieldView, pair: _Comparison) -> list[str]:
    old_local = pair.old_index.local_name(old.type_name, pair.old_pkg)
    new_local = pair.new_index.local_name(new.type_name, pair.new_pkg)
    if old_local != new_local:
        return [
            f"FIELD_NAMED_TYPE_CHANGED: field {where} (#{old.number}) changed type from "
            f"{old.type_name} to {new.type_name}"
        ]
    old_def = pair.old_index.messages.get(old.type_name)
    new_def = pair.new_index.messages.get(new.type_name)
    if old_def is None or new_def is None or not (old_def[2] or new_def[2]):
        return []  # both defined in the schema's own file: compared message by message already
    key = (old.type_name, new.type_name)
    if key in pair.seen:
        return []
    pair.seen.add(key)
    return _compare_message(new_local, old_def[1], new_def[1], pair)


def _compare_message(
    full_name: str,
    old: descriptor_pb2.DescriptorProto,
    new: descriptor_pb2.DescriptorProto,
    pair: _Comparison,
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
        problems.extend(_compare_field(where, old_field, new_field, pair))
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

    See the module docs for what is checked and what Confluent allows.
    """
    old, new = writer.file, reader.file
    pair = _Comparison(_TypeIndex.of(writer), _TypeIndex.of(reader), old.package, new.package, set())
    problems: list[str] = []  # a package change alone is compatible (Confluent's PACKAGE_CHANGED)
    old_messages, new_messages = _messages(old), _messages(new)
    for full_name, old_message in old_messages.items():
        if old_message.options.map_entry:
            continue
        new_message = new_messages.get(full_name)
        if new_message is None:
            problems.append(f"MESSAGE_REMOVED: message '{full_name}' was removed")
            continue
        problems.extend(_compare_message(full_name, old_message, new_message, pair))
    for full_name, old_message in old_messages.items():
        new_message = new_messages.get(full_name)
        if old_message.options.map_entry and new_message is not None:
            problems.extend(_compare_message(full_name, old_message, new_message, pair))
    return [f"{p} [{direction}]" for p in problems]
