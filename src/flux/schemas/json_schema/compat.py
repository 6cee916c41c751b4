"""JSON schema compatibility with Confluent's rules: can data written with one schema be read with another?

Confluent's ``JsonSchema.isBackwardCompatible(previous)`` runs
``SchemaDiff.compare(previous, this)`` and keeps the differences that are not in
``COMPATIBLE_CHANGES``; here the previous schema is the writer and the new one the reader.

Example:
    >>> from flux.schemas.json_schema.parse import parse_json_schema
    >>> writer = parse_json_schema('{"type": "string"}')
    >>> reader = parse_json_schema('{"type": "string", "maxLength": 3}')
    >>> json_schema_compatibility_messages(reader, writer, direction="BACKWARD")
    ['MAX_LENGTH_ADDED at #/maxLength: the reader adds a maxLength the writer did not have [BACKWARD]']
"""

from __future__ import annotations

from dataclasses import dataclass

from flux.schemas.json_schema.changes import COMPATIBLE_CHANGES
from flux.schemas.json_schema.diff import compare
from flux.schemas.json_schema.parse import ParsedJsonSchema, schema_model
from flux.schemas.json_schema.wording import explain

__all__ = ["JsonSchemaDifference", "json_schema_compatibility_messages", "json_schema_differences"]


@dataclass(frozen=True, slots=True)
class JsonSchemaDifference:
    """One of Confluent's differences: its type name and where (``#/properties/a``)."""

    type: str
    path: str

    @property
    def compatible(self) -> bool:
        return self.type in COMPATIBLE_CHANGES


def json_schema_differences(reader: ParsedJsonSchema, writer: ParsedJsonSchema) -> list[JsonSchemaDifference]:
    """Every difference Confluent finds from ``writer`` to ``reader``, compatible ones included."""
    changes = compare(schema_model(writer), schema_model(reader))
    return [JsonSchemaDifference(change.type, change.pointer) for change in changes]


def json_schema_compatibility_messages(
    reader: ParsedJsonSchema, writer: ParsedJsonSchema, *, direction: str
) -> list[str]:
    """Return why data written with ``writer`` is not readable with ``reader`` ([] when it is).

    One message per incompatible difference: ``"<TYPE> at <path>: <explanation> [direction]"``.
    """
    return [
        f"{diff.type} at {diff.path}: {explain(diff.type)} [{direction}]"
        for diff in json_schema_differences(reader, writer)
        if not diff.compatible
    ]
