"""JSON Schema support for the registry: parsing, canonical identity, references, compatibility.

Pure functions, no I/O. The rules are Confluent Schema Registry 8.1's
(``io.confluent.kafka.schemaregistry.json``): the same canonical string, the same default
draft (draft-07), and the same ``SchemaDiff`` change types with the same compatible set,
so a schema evolution accepted or refused by Confluent is accepted or refused here.

Example:
    >>> writer = parse_json_schema('{"type": "object", "properties": {"id": {"type": "integer"}}}')
    >>> reader = parse_json_schema('{"type": "object", "properties": {"id": {"type": "number"}}}')
    >>> json_schema_compatibility_messages(reader, writer, direction="BACKWARD")
    []
    >>> json_schema_compatibility_messages(writer, reader, direction="FORWARD")  # doctest: +ELLIPSIS
    ['TYPE_NARROWED at #/properties/id: the reader accepts only integers ... [FORWARD]']

Modules:
    ``parse``: ``ParsedJsonSchema`` and ``parse_json_schema``.
    ``compat``: ``json_schema_compatibility_messages`` and ``json_schema_differences``.
    ``changes``, ``wording``: Confluent's change types, ``COMPATIBLE_CHANGES``, their explanations.
    ``canonical``, ``drafts``, ``refs``: canonical string, draft detection and meta-schema
        check, ``$ref`` resolution.
    ``model``, ``loader``: the schema model Confluent's rules read, and how JSON becomes it.
    ``diff``, ``diff_scalar``, ``diff_object``, ``diff_array``, ``diff_combined``: the rules.
"""

from __future__ import annotations

from flux.schemas.json_schema.changes import COMPATIBLE_CHANGES, DIFFERENCE_TYPES
from flux.schemas.json_schema.compat import (
    JsonSchemaDifference,
    json_schema_compatibility_messages,
    json_schema_differences,
)
from flux.schemas.json_schema.parse import ParsedJsonSchema, parse_json_schema

__all__ = [
    "COMPATIBLE_CHANGES",
    "DIFFERENCE_TYPES",
    "JsonSchemaDifference",
    "ParsedJsonSchema",
    "json_schema_compatibility_messages",
    "json_schema_differences",
    "parse_json_schema",
]
