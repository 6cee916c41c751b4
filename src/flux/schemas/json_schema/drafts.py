"""JSON Schema drafts: which one a schema uses, its meta-schema check and its keyword groups.

The draft comes from ``$schema`` (with or without the empty ``#`` fragment); without
``$schema`` Confluent reads a schema as draft-07, and so do we. Confluent's own table also
maps the bare ``http://json-schema.org/schema`` to draft-04; we keep that. Unlike Confluent,
which quietly falls back to draft-07 for a ``$schema`` it does not know, an unknown
``$schema`` is rejected here.

Example:
    >>> detect_draft({"$schema": "http://json-schema.org/draft-04/schema#"})
    'draft-04'
    >>> detect_draft(True)
    'draft-07'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import referencing.jsonschema
from jsonschema import validators  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped, unused-ignore]

from flux.schemas.errors import InvalidSchemaError

__all__ = [
    "ARRAY_KEYWORDS",
    "DEFAULT_DRAFT",
    "DRAFTS",
    "MODERN_DRAFTS",
    "NUMBER_KEYWORDS",
    "OBJECT_KEYWORDS",
    "STRING_KEYWORDS",
    "check_metaschema",
    "detect_draft",
    "json_pointer",
    "lenient_draft",
    "specification",
]

DEFAULT_DRAFT: Final = "draft-07"
DRAFTS: Final = ("draft-04", "draft-06", "draft-07", "2019-09", "2020-12")
# Confluent loads these with json-sKema and translates the result (SchemaTranslator).
MODERN_DRAFTS: Final = frozenset({"2019-09", "2020-12"})

_URLS: Final = {
    "json-schema.org/draft-04/schema": "draft-04",
    "json-schema.org/schema": "draft-04",
    "json-schema.org/draft-06/schema": "draft-06",
    "json-schema.org/draft-07/schema": "draft-07",
    "json-schema.org/draft/2019-09/schema": "2019-09",
    "json-schema.org/draft/2020-12/schema": "2020-12",
}

_VALIDATORS: Final[dict[str, Any]] = {
    "draft-04": validators.Draft4Validator,
    "draft-06": validators.Draft6Validator,
    "draft-07": validators.Draft7Validator,
    "2019-09": validators.Draft201909Validator,
    "2020-12": validators.Draft202012Validator,
}

_SPECIFICATIONS: Final = {
    "draft-04": referencing.jsonschema.DRAFT4,
    "draft-06": referencing.jsonschema.DRAFT6,
    "draft-07": referencing.jsonschema.DRAFT7,
    "2019-09": referencing.jsonschema.DRAFT201909,
    "2020-12": referencing.jsonschema.DRAFT202012,
}

_NUMBER: Final = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_ARRAY_V4: Final = frozenset({"items", "additionalItems", "minItems", "maxItems", "uniqueItems"})
_OBJECT_V4: Final = frozenset(
    {
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "dependencies",
        "patternProperties",
        "additionalProperties",
    }
)
_ARRAY_2020: Final = frozenset(
    {"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains", "unevaluatedItems"}
)
_OBJECT_2020: Final = frozenset(
    {
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "patternProperties",
        "additionalProperties",
        "propertyNames",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
    }
)

# Keywords that make Confluent build a schema of that kind, per draft. ``format`` counts
# for strings only in drafts 4-7 (json-sKema's translation ignores it).
ARRAY_KEYWORDS: Final = {
    "draft-04": _ARRAY_V4,
    "draft-06": _ARRAY_V4 | {"contains"},
    "draft-07": _ARRAY_V4 | {"contains"},
    "2019-09": _ARRAY_2020 | {"additionalItems"},
    "2020-12": _ARRAY_2020,
}
OBJECT_KEYWORDS: Final = {
    "draft-04": _OBJECT_V4,
    "draft-06": _OBJECT_V4 | {"propertyNames"},
    "draft-07": _OBJECT_V4 | {"propertyNames"},
    "2019-09": _OBJECT_2020,
    "2020-12": _OBJECT_2020,
}
NUMBER_KEYWORDS: Final = dict.fromkeys(DRAFTS, _NUMBER)
STRING_KEYWORDS: Final = {
    draft: frozenset({"minLength", "maxLength", "pattern"})
    | ({"format"} if draft not in MODERN_DRAFTS else set())
    for draft in DRAFTS
}


def _draft_of_uri(uri: str) -> str | None:
    bare = uri.removesuffix("#")
    for scheme in ("http://", "https://"):
        if bare.startswith(scheme):
            return _URLS.get(bare.removeprefix(scheme))
    return None


def detect_draft(schema: Any) -> str:
    """Return the draft of ``schema`` (``"draft-07"`` without ``$schema``); reject unknown ones."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        return DEFAULT_DRAFT
    uri = schema["$schema"]
    if not isinstance(uri, str):
        raise InvalidSchemaError("Invalid JSON schema: $schema must be a string URI")
    draft = _draft_of_uri(uri)
    if draft is None:
        raise InvalidSchemaError(
            f"Invalid JSON schema: unknown $schema '{uri}' (known drafts: {', '.join(DRAFTS)})"
        )
    return draft


def lenient_draft(schema: Any, fallback: str) -> str:
    """The draft of a referenced schema, or ``fallback`` when it names none we know."""
    if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
        return _draft_of_uri(schema["$schema"]) or fallback
    return fallback


def specification(draft: str) -> referencing.Specification[Any]:
    """The ``referencing`` specification (how ``$id``/anchors work) of ``draft``."""
    return _SPECIFICATIONS[draft]


def json_pointer(path: Iterable[Any]) -> str:
    """RFC 6901 pointer for a sequence of keys/indexes (``""`` is the document itself)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def check_metaschema(schema: Any, draft: str) -> None:
    """Validate ``schema`` against the meta-schema of ``draft``; raise ``InvalidSchemaError``.

    Formats are not asserted: ``pattern`` regexes are Java regexes to Confluent, and Python's
    ``re`` would wrongly reject valid ones such as ``\\p{L}``.
    """
    validator_class = _VALIDATORS[draft]
    error = best_match(validator_class(validator_class.META_SCHEMA).iter_errors(schema))
    if error is not None:
        pointer = json_pointer(error.absolute_path) or "/"
        raise InvalidSchemaError(
            f"Invalid JSON schema: not a valid {draft} schema at {pointer}: {error.message}"
        )
