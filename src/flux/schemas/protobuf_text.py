"""Render a ``FileDescriptorProto`` back to ``.proto`` text.

Confluent stores Protobuf schemas as ``.proto`` text even when a client (confluent-kafka's
Python serializer) registers a base64 descriptor. The registry renders such descriptors with
this module and keeps the text only when it compiles back to the same normalised descriptor;
otherwise it stores the descriptor as given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

from google.protobuf import descriptor_pb2
from google.protobuf.message import Message

__all__ = ["UnsupportedDescriptorError", "render_proto"]

F = descriptor_pb2.FieldDescriptorProto
INDENT: Final = "  "

_SCALARS: Final = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64", F.TYPE_UINT64: "uint64",
    F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64", F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool",
    F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
}  # fmt: skip


class UnsupportedDescriptorError(ValueError):
    """The descriptor uses something this renderer does not write (e.g. proto2 groups)."""


def _literal(value: Any, field: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if field.enum_type is not None and isinstance(value, int):
        return str(field.enum_type.values_by_number[value].name)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bytes):
        return json.dumps(value.decode("latin-1"))
    if isinstance(value, int | float):
        return repr(value)
    raise UnsupportedDescriptorError(f"option value {value!r} cannot be written as text")


def _options(options: Message) -> list[str]:
    """``name = value`` for every scalar option that is set."""
    rendered = []
    for field, value in options.ListFields():
        if field.is_repeated or field.message_type is not None:
            raise UnsupportedDescriptorError(f"option {field.full_name} is not a scalar")
        name = f"({field.full_name})" if field.is_extension else field.name
        rendered.append(f"{name} = {_literal(value, field)}")
    return rendered


def _json_name(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _type_of(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type in _SCALARS:
        return _SCALARS[field.type]
    if field.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
        return str(field.type_name)
    raise UnsupportedDescriptorError(f"field {field.name}: groups are not supported")


def _field_options(field: descriptor_pb2.FieldDescriptorProto) -> str:
    items = []
    if field.HasField("default_value"):
        value = field.default_value
        if field.type in (F.TYPE_STRING, F.TYPE_BYTES):
            value = json.dumps(value)
        items.append(f"default = {value}")
    if field.HasField("json_name") and field.json_name != _json_name(field.name):
        items.append(f"json_name = {json.dumps(field.json_name)}")
    items.extend(_options(field.options))
    return f" [{', '.join(items)}]" if items else ""


def _field(
    field: descriptor_pb2.FieldDescriptorProto, syntax: str, maps: dict[str, Any], in_oneof: bool
) -> str:
    entry = maps.get(field.type_name) if field.label == F.LABEL_REPEATED else None
    if entry is not None:
        key, value = entry.field[0], entry.field[1]
        head = f"map<{_type_of(key)}, {_type_of(value)}>"
    else:
        label = ""
        if not in_oneof:
            if field.label == F.LABEL_REPEATED:
                label = "repeated "
            elif field.label == F.LABEL_REQUIRED:
                label = "required "
            elif syntax == "proto2" or field.proto3_optional:
                label = "optional "
        head = label + _type_of(field)
    return f"{head} {field.name} = {field.number}{_field_options(field)};"


def _reserved(ranges: Iterable[Any], names: Iterable[str], exclusive_end: bool) -> list[str]:
    lines = []
    spans = []
    for r in ranges:
        end = r.end - 1 if exclusive_end else r.end
        spans.append(str(r.start) if end == r.start else f"{r.start} to {'max' if end >= 536870911 else end}")
    if spans:
        lines.append(f"reserved {', '.join(spans)};")
    quoted = [json.dumps(n) for n in names]
    if quoted:
        lines.append(f"reserved {', '.join(quoted)};")
    return lines


def _enum(enum: descriptor_pb2.EnumDescriptorProto, depth: int) -> list[str]:
    pad = INDENT * depth
    lines = [f"{pad}enum {enum.name} {{"]
    lines += [f"{pad}{INDENT}option {o};" for o in _options(enum.options)]
    for value in enum.value:
        opts = _options(value.options)
        suffix = f" [{', '.join(opts)}]" if opts else ""
        lines.append(f"{pad}{INDENT}{value.name} = {value.number}{suffix};")
    lines += [
        f"{pad}{INDENT}{r}" for r in _reserved(enum.reserved_range, enum.reserved_name, exclusive_end=False)
    ]
    lines.append(f"{pad}}}")
    return lines


def _extensions(fields: Iterable[descriptor_pb2.FieldDescriptorProto], syntax: str, depth: int) -> list[str]:
    pad = INDENT * depth
    by_extendee: dict[str, list[descriptor_pb2.FieldDescriptorProto]] = {}
    for field in fields:
        by_extendee.setdefault(field.extendee, []).append(field)
    lines = []
    for extendee, members in by_extendee.items():
        lines.append(f"{pad}extend {extendee} {{")
        lines += [f"{pad}{INDENT}{_field(f, syntax, {}, in_oneof=False)}" for f in members]
        lines.append(f"{pad}}}")
    return lines


def _message(message: descriptor_pb2.DescriptorProto, scope: str, syntax: str, depth: int) -> list[str]:
    pad, inner = INDENT * depth, INDENT * (depth + 1)
    full = f"{scope}.{message.name}"
    maps = {f"{full}.{n.name}": n for n in message.nested_type if n.options.map_entry}
    lines = [f"{pad}message {message.name} {{"]
    lines += [f"{inner}option {o};" for o in _options(message.options)]
    synthetic = {f.oneof_index for f in message.field if f.proto3_optional and f.HasField("oneof_index")}
    written_oneofs: set[int] = set()
    for field in message.field:
        if field.HasField("oneof_index") and field.oneof_index not in synthetic:
            index = field.oneof_index
            if index in written_oneofs:
                continue
            written_oneofs.add(index)
            oneof = message.oneof_decl[index]
            lines.append(f"{inner}oneof {oneof.name} {{")
            lines += [f"{inner}{INDENT}option {o};" for o in _options(oneof.options)]
            members = [f for f in message.field if f.HasField("oneof_index") and f.oneof_index == index]
            lines += [f"{inner}{INDENT}{_field(f, syntax, maps, in_oneof=True)}" for f in members]
            lines.append(f"{inner}}}")
        else:
            lines.append(f"{inner}{_field(field, syntax, maps, in_oneof=False)}")
    for nested in message.nested_type:
        if not nested.options.map_entry:
            lines += _message(nested, full, syntax, depth + 1)
    for enum in message.enum_type:
        lines += _enum(enum, depth + 1)
    lines += _extensions(message.extension, syntax, depth + 1)
    for r in message.extension_range:
        end = "max" if r.end - 1 >= 536870911 else str(r.end - 1)
        lines.append(f"{inner}extensions {r.start} to {end};")
    lines += [
        f"{inner}{r}" for r in _reserved(message.reserved_range, message.reserved_name, exclusive_end=True)
    ]
    lines.append(f"{pad}}}")
    return lines


def render_proto(proto: descriptor_pb2.FileDescriptorProto) -> str:
    """``.proto`` text declaring what ``proto`` describes (type names fully qualified).

    Raises:
        UnsupportedDescriptorError: for constructs not written (groups, editions, message-valued options).
    """
    syntax = proto.syntax or "proto2"
    if syntax not in ("proto2", "proto3"):
        raise UnsupportedDescriptorError(f"syntax {syntax!r} is not supported")
    lines = [f'syntax = "{syntax}";']
    if proto.package:
        lines.append(f"package {proto.package};")
    public, weak = set(proto.public_dependency), set(proto.weak_dependency)
    for i, dep in enumerate(proto.dependency):
        kind = "public " if i in public else "weak " if i in weak else ""
        lines.append(f"import {kind}{json.dumps(dep)};")
    lines += [f"option {o};" for o in _options(proto.options)]
    scope = f".{proto.package}" if proto.package else ""
    for message in proto.message_type:
        lines += _message(message, scope, syntax, 0)
    for enum in proto.enum_type:
        lines += _enum(enum, 0)
    lines += _extensions(proto.extension, syntax, 0)
    for service in proto.service:
        lines.append(f"service {service.name} {{")
        lines += [f"{INDENT}option {o};" for o in _options(service.options)]
        for method in service.method:
            request = f"stream {method.input_type}" if method.client_streaming else method.input_type
            response = f"stream {method.output_type}" if method.server_streaming else method.output_type
            opts = _options(method.options)
            body = (
                " {\n" + "".join(f"{INDENT * 2}option {o};\n" for o in opts) + f"{INDENT}}}" if opts else ";"
            )
            lines.append(f"{INDENT}rpc {method.name}({request}) returns ({response}){body}")
        lines.append("}")
    return "\n".join(lines) + "\n"
