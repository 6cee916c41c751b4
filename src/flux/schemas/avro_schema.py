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

from flux.schemas.errors import InvalidSchemaError, SchemaReferenceError
from flux.schemas.nesting import check_nesting

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
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidSchemaError(f"Invalid Avro schema {what}: not JSON ({exc})") from None
    except RecursionError:
        raise InvalidSchemaError(f"Invalid Avro schema {what}: nested too deeply") from None
    check_nesting(data, f"Avro schema {what}")
    return data


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
    _check_defaults(schema, "", 0)
    try:
        pcf = schema.canonical_form
        identity_json = _strip_doc(schema.to_json(avro.name.Names()))
    except (avro.errors.AvroException, TypeError, ValueError, AttributeError) as exc:
        raise InvalidSchemaError(f"Invalid Avro schema: {exc}") from None
    identity = json.dumps(identity_json, sort_keys=True, separators=(",", ":"))
    return ParsedAvro(schema=schema, parsing_canonical_form=pcf, identity=identity)


_INTS: Final = {"int": 2**31, "long": 2**63}
MAX_DEPTH: Final = 64


def _default_fits(schema: avro.schema.Schema, value: Any, depth: int) -> bool:
    """True when ``value`` (JSON) is a valid default for ``schema`` (the Avro specification's encoding)."""
    if depth > MAX_DEPTH:
        return True
    kind = schema.type
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in _INTS:
        limit = _INTS[kind]
        return isinstance(value, int) and not isinstance(value, bool) and -limit <= value < limit
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in ("string", "bytes"):
        return isinstance(value, str)
    if isinstance(schema, avro.schema.FixedSchema):
        return isinstance(value, str) and len(value) == schema.size
    if isinstance(schema, avro.schema.EnumSchema):
        return isinstance(value, str) and value in schema.symbols
    if isinstance(schema, avro.schema.ArraySchema):
        return isinstance(value, list) and all(_default_fits(schema.items, v, depth + 1) for v in value)
    if isinstance(schema, avro.schema.MapSchema):
        return isinstance(value, dict) and all(
            _default_fits(schema.values, v, depth + 1) for v in value.values()
        )
    if isinstance(schema, avro.schema.UnionSchema):
        return bool(schema.schemas) and _default_fits(schema.schemas[0], value, depth + 1)
    if isinstance(schema, avro.schema.RecordSchema):
        if not isinstance(value, dict):
            return False
        return all(
            _default_fits(f.type, value[f.name], depth + 1) if f.name in value else f.has_default
            for f in schema.fields
        )
    return True


def _check_defaults(schema: avro.schema.Schema, path: str, depth: int, seen: set[int] | None = None) -> None:
    """Raise :class:`InvalidSchemaError` naming the first field whose default does not fit its type."""
    seen = set() if seen is None else seen
    if depth > MAX_DEPTH or id(schema) in seen:
        return
    seen.add(id(schema))
    if isinstance(schema, avro.schema.RecordSchema):
        for field in schema.fields:
            where = f"{path}.{field.name}" if path else f"{schema.fullname}.{field.name}"
            if field.has_default and not _default_fits(field.type, field.default, 0):
                raise InvalidSchemaError(
                    f"Invalid Avro schema: default value {json.dumps(field.default)} of field '{where}' "
                    f"does not match its type"
                )
            _check_defaults(field.type, where, depth + 1, seen)
    elif isinstance(schema, avro.schema.ArraySchema):
        _check_defaults(schema.items, path, depth + 1, seen)
    elif isinstance(schema, avro.schema.MapSchema):
        _check_defaults(schema.values, path, depth + 1, seen)
    elif isinstance(schema, avro.schema.UnionSchema):
        for branch in schema.schemas:
            _check_defaults(branch, path, depth + 1, seen)


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
    ordered = sorted(result.locations)
    # " at <locations>" stays right after the rule: tools (the schema gate) parse it.
    fields = ", ".join(_describe_location(reader.schema, loc) for loc in ordered)
    details = ", ".join(sorted(result.messages))
    return [f"{'/'.join(kinds)} at {', '.join(ordered)} ({fields}; {details}): {explanation} [{direction}]"]


def _describe_location(schema: avro.schema.Schema, location: str) -> str:
    """``/fields/0/type/fields/2`` → ``field 'reading.city'`` (best effort: the walk stops at unions)."""
    names: list[str] = []
    current: avro.schema.Schema | None = schema
    tokens = [t for t in location.split("/") if t]
    index = 0
    while index < len(tokens) and current is not None:
        step = tokens[index]
        if step == "fields" and isinstance(current, avro.schema.RecordSchema) and index + 1 < len(tokens):
            position = int(tokens[index + 1]) if tokens[index + 1].isdigit() else -1
            if not 0 <= position < len(current.fields):
                break
            field = current.fields[position]
            names.append(field.name)
            current = field.type
            index += 3 if index + 2 < len(tokens) and tokens[index + 2] == "type" else 2
        elif step == "items" and isinstance(current, avro.schema.ArraySchema):
            current, index = current.items, index + 1
        elif step == "values" and isinstance(current, avro.schema.MapSchema):
            current, index = current.values, index + 1
        else:
            break
    return f"field '{'.'.join(names)}'" if names else "the schema"


_RULE_TEXT: Final = {
    "READER_FIELD_MISSING_DEFAULT_VALUE": "the reader has a field without a default that the writer lacks",
    "TYPE_MISMATCH": "a field's type changed to one the reader cannot promote from",
    "NAME_MISMATCH": "a named type was renamed without an alias",
    "FIXED_SIZE_MISMATCH": "a fixed type changed size",
    "MISSING_ENUM_SYMBOLS": "the writer has enum symbols the reader lacks (and the reader has no default)",
    "MISSING_UNION_BRANCH": "the writer's union has a branch the reader cannot read",
}
