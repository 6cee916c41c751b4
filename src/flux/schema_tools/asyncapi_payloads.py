"""JSON Schemas of what the BFF sends clients, derived from the topics' Avro and Protobuf schemas.

The BFF reshapes each event once (:mod:`flux.bff.convert`): the envelope fields move out of ``data``,
names become camelCase, times become ISO-8601 UTC strings, decimals become decimal strings and UUIDs
strings. The functions here apply the same rules to the *schemas*, so the Socket.IO part of the
AsyncAPI document (:mod:`flux.schema_tools.asyncapi_socketio`) describes ``data`` field by field
without a hand-kept copy. A unit test validates real converted snapshots against these schemas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf.descriptor import Descriptor, FieldDescriptor

__all__ = ["ENVELOPE_FIELDS", "avro_client_schema", "camel", "key_schema", "proto_client_schema"]

ENVELOPE_FIELDS: Final = frozenset(
    {"event_id", "produced_at", "source", "correlation_id", "snapshot_hash", "produced_at_ms"}
)
"""Event metadata the BFF moves to the snapshot envelope (``snapshotId``, ``producedAt``)."""

_AVRO_PRIMITIVES: Final[dict[str, dict[str, Any]]] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "string": {"type": "string"},
    "bytes": {"type": "string"},
}
_LOGICAL: Final[dict[str, dict[str, Any]]] = {
    "uuid": {"type": "string", "format": "uuid"},
    "timestamp-millis": {"type": "string", "format": "date-time"},
    "timestamp-micros": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "decimal": {"type": "string", "description": "decimal number as a string (exact)"},
}
_PROTO_NUMBERS: Final = {
    FieldDescriptor.TYPE_DOUBLE: "number",
    FieldDescriptor.TYPE_FLOAT: "number",
    FieldDescriptor.TYPE_BOOL: "boolean",
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "string",
    FieldDescriptor.TYPE_ENUM: "string",
}


def camel(name: str) -> str:
    """``snake_case`` → ``camelCase``, exactly as the BFF renames keys (``volume_24h`` → ``volume24h``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _described(schema: dict[str, Any], doc: Any) -> dict[str, Any]:
    if isinstance(doc, str) and doc and "description" not in schema:
        return {**schema, "description": doc}
    return schema


class _AvroConverter:
    """One schema's conversion; remembers named types so later references can be inlined."""

    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def convert(self, node: Any, namespace: str | None) -> dict[str, Any]:
        if isinstance(node, list):
            return {"anyOf": [self.convert(branch, namespace) for branch in node]}
        if isinstance(node, str):
            if node in _AVRO_PRIMITIVES:
                return dict(_AVRO_PRIMITIVES[node])
            return self.convert(self.named[_full_name(node, namespace)], namespace)
        logical = node.get("logicalType")
        if logical in _LOGICAL:
            return dict(_LOGICAL[logical])
        kind = node["type"]
        if kind in ("record", "enum", "fixed"):
            namespace = node.get("namespace", namespace)
            self.named[_full_name(node["name"], namespace)] = node
        if kind == "record":
            return self.record(node, namespace, frozenset(), {})
        if kind == "enum":
            return _described({"type": "string", "enum": list(node["symbols"])}, node.get("doc"))
        if kind == "array":
            return {"type": "array", "items": self.convert(node["items"], namespace)}
        if kind == "map":
            return {"type": "object", "additionalProperties": self.convert(node["values"], namespace)}
        if kind == "fixed":
            return {"type": "string"}
        return self.convert(kind, namespace)

    def record(
        self, node: Mapping[str, Any], namespace: str | None, drop: frozenset[str], renames: Mapping[str, str]
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for field in node["fields"]:
            if field["name"] in drop:
                continue
            name = camel(renames.get(field["name"], field["name"]))
            properties[name] = _described(self.convert(field["type"], namespace), field.get("doc"))
        schema = {
            "type": "object",
            "required": list(properties),
            "additionalProperties": False,
            "properties": properties,
        }
        return _described(schema, node.get("doc"))


def avro_client_schema(avro: Mapping[str, Any], renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    """JSON Schema of the ``data`` the BFF makes of an Avro event (envelope dropped, camelCase).

    Args:
        avro: The event's parsed Avro record schema.
        renames: Top-level fields the BFF renames (e.g. the weather event's ``data`` → ``observation``).
    """
    converter = _AvroConverter()
    namespace = avro.get("namespace")
    converter.named[_full_name(avro["name"], namespace)] = avro
    return converter.record(avro, namespace, ENVELOPE_FIELDS, renames or {})


def _proto_field(field: FieldDescriptor) -> dict[str, Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        schema = proto_client_schema(field.message_type, drop=False)
    else:
        schema = {"type": _PROTO_NUMBERS.get(field.type, "integer")}
    return {"type": "array", "items": schema} if field.is_repeated else schema


def proto_client_schema(descriptor: Descriptor, *, drop: bool = True) -> dict[str, Any]:
    """JSON Schema of the ``data`` the BFF makes of a Protobuf event (envelope dropped when ``drop``)."""
    properties = {
        camel(field.name): _proto_field(field)
        for field in descriptor.fields
        if not (drop and field.name in ENVELOPE_FIELDS)
    }
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def key_schema(description: str) -> dict[str, Any]:
    """Schema of a record key as the catalogue describes it: a UTF-8 string, or a quoted constant."""
    if len(description) > 2 and description[0] == description[-1] == '"':
        return {"type": "string", "enum": [description[1:-1]], "description": "constant key"}
    return {"type": "string", "description": description}
