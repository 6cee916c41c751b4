"""Offline schema compatibility and canonical identity: pure functions, no server, no Kafka.

This is the registry's stable public API for tools such as the ``make check-schemas`` gate.

Example:
    >>> from flux.schemas.compatibility import CompatibilityLevel, SchemaType, check_compatibility
    >>> v1 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
    >>> v2 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}'
    >>> check_compatibility(SchemaType.AVRO, v2, [v1], CompatibilityLevel.BACKWARD)[0].split(" at ")[0]
    'READER_FIELD_MISSING_DEFAULT_VALUE'
    >>> check_compatibility(SchemaType.AVRO, v2, [v1], CompatibilityLevel.FORWARD)
    []

API:
    ``CompatibilityLevel`` (StrEnum): BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,
        FULL, FULL_TRANSITIVE, NONE.
    ``SchemaType`` (StrEnum): AVRO, PROTOBUF, JSON (JSON Schema, drafts 04 to 2020-12; Confluent's
        rules from ``flux.schemas.json_schema``).
    ``check_compatibility(schema_type, new_schema_text, previous_schema_texts_oldest_first, level,
        references=None) -> list[str]``: empty list when compatible, otherwise one readable
        message per problem naming the rule (e.g. ``READER_FIELD_MISSING_DEFAULT_VALUE``,
        ``FIELD_SCALAR_KIND_CHANGED``), the field, the old version's position and the level.
        Non-transitive levels compare with the last previous schema only; transitive ones
        with every previous schema. Avro messages have a stable shape that tools may parse:
        ``RULE at /location[, /location] (field 'a.b'; details): explanation [LEVEL: direction]``;
        Protobuf messages: ``RULE: field 'Msg.f' (#n) ... [LEVEL: direction]``.
    ``parse_schema(schema_type, text, references=None) -> ParsedSchema``: validates a schema;
        ``ParsedSchema.identity`` is the string two schemas share exactly when the registry
        treats them as the same schema; ``ParsedSchema.canonical`` is the Avro Parsing Canonical
        Form (Avro) or the normalised descriptor text (Protobuf).
    ``check_parsed_compatibility(new, previous_oldest_first, level) -> list[str]``: the same
        check on already parsed schemas (what the server uses).
    ``InvalidSchemaError`` (``ValueError``): raised for schemas that do not parse or compile.

References: ``references`` maps a reference name to the referenced schema's text — for Avro
the name is free (any order is accepted; named types become visible to the schema), for
Protobuf it is the import path (``import "common/money.proto";``). They apply to the new and
the previous schemas alike.

Avro rules are Apache Avro's ``ReaderWriterCompatibilityChecker``. Protobuf schemas are
compiled with grpcio-tools' protoc and compared by Confluent's rules (see
:func:`flux.schemas.protobuf_compat.protobuf_compatibility_messages`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flux.schemas.errors import InvalidSchemaError, SchemaReferenceError
from flux.schemas.types import CompatibilityLevel, SchemaType

if TYPE_CHECKING:  # each format's module (and its library: avro, protobuf) loads when first used
    from flux.schemas.avro_schema import ParsedAvro
    from flux.schemas.json_schema import ParsedJsonSchema
    from flux.schemas.protobuf_schema import ParsedProtobuf

__all__ = [
    "CompatibilityLevel",
    "InvalidSchemaError",
    "ParsedSchema",
    "SchemaReferenceError",
    "SchemaType",
    "check_compatibility",
    "check_parsed_compatibility",
    "parse_schema",
]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """A validated schema of any type.

    Attributes:
        schema_type: AVRO or PROTOBUF.
        text: the text as given.
        identity: equal for two schemas exactly when they are "the same schema".
        canonical: Avro Parsing Canonical Form, or the normalised Protobuf descriptor text.
        parsed: the type-specific parsed form.
    """

    schema_type: SchemaType
    text: str
    identity: str
    canonical: str
    parsed: ParsedAvro | ParsedProtobuf | ParsedJsonSchema


def parse_schema(
    schema_type: SchemaType | str, text: str, references: Mapping[str, str] | None = None
) -> ParsedSchema:
    """Parse and validate ``text`` as a schema of ``schema_type``.

    Raises:
        InvalidSchemaError: the schema is invalid, or the type is unsupported.
    """
    try:
        kind = SchemaType(str(schema_type).upper())
    except ValueError:
        raise InvalidSchemaError(f"Unknown schema type {schema_type!r}") from None
    if not isinstance(text, str):
        raise InvalidSchemaError("Schema text must be a string")
    if not text.strip():
        raise InvalidSchemaError("Invalid schema: empty")
    if kind is SchemaType.AVRO:
        from flux.schemas.avro_schema import parse_avro  # noqa: PLC0415 - see the imports

        avro_schema = parse_avro(text, references)
        return ParsedSchema(kind, text, avro_schema.identity, avro_schema.parsing_canonical_form, avro_schema)
    if kind is SchemaType.PROTOBUF:
        from flux.schemas.protobuf_schema import parse_protobuf  # noqa: PLC0415

        proto_schema = parse_protobuf(text, references)
        return ParsedSchema(kind, text, proto_schema.normalized, proto_schema.normalized, proto_schema)
    from flux.schemas.json_schema import parse_json_schema  # noqa: PLC0415

    json_schema = parse_json_schema(text, references)
    return ParsedSchema(kind, text, json_schema.identity, json_schema.canonical, json_schema)


def _reader_writer_messages(reader: ParsedSchema, writer: ParsedSchema, direction: str) -> list[str]:
    if reader.schema_type is SchemaType.AVRO and writer.schema_type is SchemaType.AVRO:
        from flux.schemas.avro_schema import ParsedAvro, avro_compatibility_messages  # noqa: PLC0415

        assert isinstance(reader.parsed, ParsedAvro)
        assert isinstance(writer.parsed, ParsedAvro)
        return avro_compatibility_messages(reader.parsed, writer.parsed, direction=direction)
    if reader.schema_type is SchemaType.PROTOBUF and writer.schema_type is SchemaType.PROTOBUF:
        from flux.schemas.protobuf_compat import protobuf_compatibility_messages  # noqa: PLC0415
        from flux.schemas.protobuf_schema import ParsedProtobuf  # noqa: PLC0415

        assert isinstance(reader.parsed, ParsedProtobuf)
        assert isinstance(writer.parsed, ParsedProtobuf)
        return protobuf_compatibility_messages(reader.parsed, writer.parsed, direction=direction)
    if reader.schema_type is SchemaType.JSON and writer.schema_type is SchemaType.JSON:
        from flux.schemas.json_schema import (  # noqa: PLC0415
            ParsedJsonSchema,
            json_schema_compatibility_messages,
        )

        assert isinstance(reader.parsed, ParsedJsonSchema)
        assert isinstance(writer.parsed, ParsedJsonSchema)
        return json_schema_compatibility_messages(reader.parsed, writer.parsed, direction=direction)
    return [f"SCHEMA_TYPE_CHANGED: schema type changed from {writer.schema_type} to {reader.schema_type}"]


def check_parsed_compatibility(
    new: ParsedSchema,
    previous_oldest_first: Sequence[ParsedSchema],
    level: CompatibilityLevel | str,
    *,
    previous_labels: Sequence[str] | None = None,
) -> list[str]:
    """Check ``new`` against earlier schemas at ``level``; return the problems (empty = compatible).

    Args:
        new: the candidate schema.
        previous_oldest_first: earlier schemas, oldest first.
        level: the compatibility level.
        previous_labels: how to name each earlier schema in messages (default: ``#<index>``);
            the server passes ``version N``.
    """
    level = CompatibilityLevel(str(level).upper())
    if level is CompatibilityLevel.NONE or not previous_oldest_first:
        return []
    labels = list(previous_labels or [f"previous schema #{i + 1}" for i in range(len(previous_oldest_first))])
    pairs = list(zip(previous_oldest_first, labels, strict=True))
    if not level.transitive:
        pairs = pairs[-1:]
    messages: list[str] = []
    for old, label in reversed(pairs):
        if level.checks_backward:
            messages.extend(_reader_writer_messages(new, old, f"{level}: new schema reading {label}"))
        if level.checks_forward:
            messages.extend(_reader_writer_messages(old, new, f"{level}: {label} reading new schema"))
    return messages


def check_compatibility(
    schema_type: SchemaType | str,
    new_schema_text: str,
    previous_schema_texts_oldest_first: Sequence[str],
    level: CompatibilityLevel | str,
    references: Mapping[str, str] | None = None,
) -> list[str]:
    """Check a new schema text against earlier texts; return readable problems (empty = compatible).

    Raises:
        InvalidSchemaError: when any of the texts does not parse.
    """
    new = parse_schema(schema_type, new_schema_text, references)
    previous = [parse_schema(schema_type, text, references) for text in previous_schema_texts_oldest_first]
    return check_parsed_compatibility(new, previous, level)
