"""Parsing a JSON schema: JSON, draft, meta-schema, references, canonical string and identity.

Example:
    >>> parsed = parse_json_schema('{"type": "object",  "properties": {"a": {"$ref": "a.json"}}}',
    ...                            {"a.json": '{"type": "string"}'})
    >>> parsed.draft, parsed.canonical
    ('draft-07', '{"type":"object","properties":{"a":{"$ref":"a.json"}}}')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from flux.schemas.errors import InvalidSchemaError
from flux.schemas.json_schema.canonical import decode_exact, decode_plain, jackson_compact
from flux.schemas.json_schema.drafts import check_metaschema, detect_draft
from flux.schemas.json_schema.loader import ModelLoader
from flux.schemas.json_schema.model import Node
from flux.schemas.json_schema.refs import build_resolver, check_references

__all__ = ["ParsedJsonSchema", "parse_json_schema", "schema_model"]


@dataclass(frozen=True, slots=True)
class ParsedJsonSchema:
    """A parsed, valid JSON schema.

    Attributes:
        text: the schema text as given.
        schema: the decoded JSON (a dict or a bool; floats as ``float``).
        canonical: Confluent's canonical string: Jackson's compact rendering, members in
            document order, numbers exactly as written (``1.50`` stays ``1.50``).
        identity: equal for two schemas exactly when Confluent treats them as the same
            schema: the canonical string plus the references (name and the referenced
            schema's canonical string, in the order given).
        draft: ``"draft-04"``, ``"draft-06"``, ``"draft-07"``, ``"2019-09"`` or ``"2020-12"``.
        references: reference name -> referenced schema text, as given.
    """

    text: str
    schema: Any
    canonical: str
    identity: str
    draft: str
    references: Mapping[str, str]


def _decode_reference(name: str, text: str) -> Any:
    try:
        decoded = decode_exact(text)
    except InvalidSchemaError as exc:
        raise InvalidSchemaError(f"Invalid JSON schema: reference '{name}': {exc}") from None
    if not isinstance(decoded, dict | bool):
        raise InvalidSchemaError(f"Invalid JSON schema: reference '{name}' is not a JSON object or boolean")
    return decoded


def _identity(canonical: str, references: Mapping[str, Any]) -> str:
    if not references:
        return canonical
    listed = [[name, jackson_compact(value)] for name, value in references.items()]
    return canonical + "\n" + json.dumps(listed, ensure_ascii=False, separators=(",", ":"))


def parse_json_schema(text: str, references: Mapping[str, str] | None = None) -> ParsedJsonSchema:
    """Parse and validate a JSON schema; raise ``InvalidSchemaError`` / ``SchemaReferenceError``.

    Rejected: malformed JSON, a document that is not an object or boolean, an unknown
    ``$schema``, a schema invalid against its draft's meta-schema (the message names the
    draft and the JSON pointer), and a ``$ref`` that resolves neither inside the document
    nor to one of ``references`` (by reference name or by the referenced schema's ``$id``).
    """
    try:
        return _parse(text, dict(references or {}))
    except RecursionError:
        raise InvalidSchemaError("Invalid JSON schema: nested too deeply") from None


def _parse(text: str, refs: dict[str, str]) -> ParsedJsonSchema:
    schema = decode_plain(text)
    if not isinstance(schema, dict | bool):
        raise InvalidSchemaError(
            f"Invalid JSON schema: expected a JSON object or boolean, got {type(schema).__name__}"
        )
    draft = detect_draft(schema)
    check_metaschema(schema, draft)
    exact = decode_exact(text)
    decoded_refs = {name: _decode_reference(name, value) for name, value in refs.items()}
    check_references(exact, build_resolver(exact, draft, decoded_refs), draft)
    canonical = jackson_compact(exact)
    return ParsedJsonSchema(
        text=text,
        schema=schema,
        canonical=canonical,
        identity=_identity(canonical, decoded_refs),
        draft=draft,
        references=MappingProxyType(refs),
    )


@lru_cache(maxsize=256)
def _cached_model(text: str, references: tuple[tuple[str, str], ...]) -> Node:
    exact = decode_exact(text)
    draft = detect_draft(exact)
    decoded_refs = {name: _decode_reference(name, value) for name, value in references}
    resolver = build_resolver(exact, draft, decoded_refs)
    return ModelLoader(draft).load_root(exact, resolver)


def schema_model(parsed: ParsedJsonSchema) -> Node:
    """The compatibility model of ``parsed`` (cached by text and references)."""
    return _cached_model(parsed.text, tuple(parsed.references.items()))
