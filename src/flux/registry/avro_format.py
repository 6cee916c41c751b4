"""Avro schemas: parsing with references, canonical identity and compatibility.

Resolution rules are Apache Avro's own (``avro.compatibility.ReaderWriterCompatibilityChecker``);
this module only parses, resolves named types from references and words the results.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import avro.errors
import avro.name
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from flux.registry.errors import InvalidSchemaError, SchemaReferenceError

__all__ = ["ParsedAvro", "avro_compatibility_messages", "parse_avro"]

LOG = logging.getLogger(__name__)

# Attributes that never change how data is read: dropped from the identity form.
_DOC_KEYS: Final = frozenset({"doc"})


@dataclass(frozen=True, slots=True)
class ParsedAvro:
    """A parsed Avro schema.

    Attributes:
        schema: Apache Avro's schema object (named types from references resolved).
        parsing_canonical_form: the Avro specification's Parsing Canonical Form.
        identity: the form used to decide "same schema": Parsing Canonical Form's
            normalisation (compact JSON, sorted attributes, full names) but keeping every
            attribute that affects reading (defaults, aliases, logical types, order,
            custom properties); only ``doc`` is dropped.
    """

    schema: avro.schema.Schema
    parsing_canonical_form: str
    identity: str


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidSchemaError(f"Invalid Avro schema {what}: not JSON ({exc})") from None


def _make(json_data: Any, names: avro.name.Names) -> avro.schema.Schema:
    if isinstance(json_data, str) and names.has_name(json_data, None):
        # A bare reference to a named type (e.g. a schema that is just "com.acme.Money").
        found = names.get_name(json_data, None)
        assert found is not None
        return found
    return avro.schema.make_avsc_object(json_data, names)


def _resolve_references(references: Mapping[str, str], names: avro.name.Names) -> None:
    """Parse referenced schemas into ``names``, in whatever order their own dependencies need."""
    pending = dict(references)
    while pending:
        progressed = False
        errors: dict[str, str] = {}
        for ref_name, text in list(pending.items()):
            data = _load_json(text, f"reference {ref_name!r}")
            trial = avro.name.Names(default_namespace=names.default_namespace)
            trial.names = dict(names.names)
            try:
                _make(data, trial)
            except (avro.errors.AvroException, TypeError, ValueError, AttributeError) as exc:
                errors[ref_name] = str(exc)
                continue
            names.names = trial.names
            del pending[ref_name]
            progressed = True
        if not progressed:
            detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
            raise SchemaReferenceError(f"Invalid Avro schema: cannot resolve references ({detail})")


def _strip_doc(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_doc(v) for k, v in node.items() if k not in _DOC_KEYS}
    if isinstance(node, list):
        return [_strip_doc(v) for v in node]
    return node


def parse_avro(text: str, references: Mapping[str, str] | None = None) -> ParsedAvro:
    """Parse Avro schema text.

    Args:
        text: the schema JSON.
        references: referenced schemas' texts by reference name; their named types
            become available to ``text``.

    Returns:
        The parsed schema with its canonical forms.

    Raises:
        InvalidSchemaError: when the text is not a valid Avro schema.
    """
    data = _load_json(text, "text")
    if data == []:
        raise InvalidSchemaError("Invalid Avro schema: a union needs at least one branch")
    names = avro.name.Names()
    if references:
        _resolve_references(references, names)
    try:
        schema = _make(data, names)
    except (avro.errors.AvroException, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise InvalidSchemaError(f"Invalid Avro schema: {exc}") from None
    except RecursionError:
        raise InvalidSchemaError("Invalid Avro schema: nested too deeply") from None
    try:
        pcf = schema.canonical_form
        identity_json = _strip_doc(schema.to_json(avro.name.Names()))
    except (avro.errors.AvroException, TypeError, ValueError, AttributeError) as exc:
        raise InvalidSchemaError(f"Invalid Avro schema: {exc}") from None
    identity = json.dumps(identity_json, sort_keys=True, separators=(",", ":"))
    return ParsedAvro(schema=schema, parsing_canonical_form=pcf, identity=identity)


def avro_compatibility_messages(reader: ParsedAvro, writer: ParsedAvro, *, direction: str) -> list[str]:
    """Return why ``reader`` cannot read data written with ``writer`` (empty when it can).

    Args:
        reader: schema used to read.
        writer: schema the data was written with.
        direction: words naming which side is new, used in the messages
            (e.g. ``"BACKWARD: new schema reading old version 2"``).
    """
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(reader.schema, writer.schema)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = sorted({i.name.upper() for i in result.incompatibilities})
    explanation = "; ".join(_RULE_TEXT.get(k, k) for k in kinds)
    locations = ", ".join(sorted(result.locations))
    details = ", ".join(sorted(result.messages))
    return [f"{'/'.join(kinds)} at {locations} ({details}): {explanation} [{direction}]"]


_RULE_TEXT: Final = {
    "READER_FIELD_MISSING_DEFAULT_VALUE": "the reader has a field without a default that the writer lacks",
    "TYPE_MISMATCH": "a field's type changed to one the reader cannot promote from",
    "NAME_MISMATCH": "a named type was renamed without an alias",
    "FIXED_SIZE_MISMATCH": "a fixed type changed size",
    "MISSING_ENUM_SYMBOLS": "the writer has enum symbols the reader lacks (and the reader has no default)",
    "MISSING_UNION_BRANCH": "the writer's union has a branch the reader cannot read",
}
