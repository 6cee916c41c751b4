"""``$ref`` resolution: the document, the registered schemas it references, and nothing else.

Each referenced schema is reachable under its reference name (as given, and resolved
against the root's ``$id`` as Confluent's everit loader registers it) and under its own
``$id``. The official meta-schemas are known too; nothing is ever fetched over the network.

Example:
    >>> resolver = build_resolver({"$ref": "money.json"}, "draft-07", {"money.json": {"type": "number"}})
    >>> resolver.lookup("money.json").contents
    {'type': 'number'}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urljoin

import referencing
import referencing.exceptions
from jsonschema_specifications import REGISTRY as METASCHEMAS  # type: ignore[import-untyped, unused-ignore]
from referencing._core import Resolved
from referencing._core import Resolver as _Resolver

from flux.schemas.errors import SchemaReferenceError
from flux.schemas.json_schema.drafts import json_pointer, lenient_draft, specification

__all__ = ["REF_KEYWORDS", "Resolver", "build_resolver", "check_references", "lookup", "subschemas_of"]

Resolver = _Resolver[Any]

# $recursiveRef / $dynamicRef are resolved statically, like a plain $ref.
REF_KEYWORDS: Final = ("$ref", "$recursiveRef", "$dynamicRef")
_SINGLE: Final = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
        "items",
    }
)
_LISTS: Final = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_MAPS: Final = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"}
)


def subschemas_of(schema: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Yield ``(relative path, subschema)`` for every subschema position of ``schema``."""
    if not isinstance(schema, dict):
        return
    for keyword, value in schema.items():
        if keyword in _SINGLE and isinstance(value, dict | bool):
            yield (keyword,), value
        elif keyword in _LISTS and isinstance(value, list):
            for index, item in enumerate(value):
                yield (keyword, str(index)), item
        elif keyword in _MAPS and isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict | bool):
                    yield (keyword, name), item


def build_resolver(root: Any, draft: str, references: Mapping[str, Any]) -> Resolver:
    """A resolver rooted at ``root`` that knows every referenced schema and the meta-schemas."""
    spec = specification(draft)
    root_resource = spec.create_resource(root)
    bases = {root_resource.id() or "", _raw_id(root, draft)}
    resources: list[tuple[str, referencing.Resource[Any]]] = []
    for name, contents in references.items():
        resource = specification(lenient_draft(contents, draft)).create_resource(contents)
        uris = {name} | {urljoin(base, name) for base in bases}
        if not name.startswith(".") and "://" not in name:
            uris.add("./" + name)  # Confluent also maps "./name" for a bare relative name
        own_id = resource.id() if isinstance(contents, dict) else None
        if own_id:
            uris.update(urljoin(urljoin(base, name), own_id) for base in bases)
        resources.extend((uri, resource) for uri in uris)
    registry: referencing.Registry[Any] = METASCHEMAS.with_resources(resources)
    return registry.resolver_with_root(root_resource)


def _raw_id(root: Any, draft: str) -> str:
    # everit resolves reference names against the root's id even when it sits next to a
    # $ref (where the drafts say to ignore it), so we register those locations too.
    value = root.get("id" if draft == "draft-04" else "$id") if isinstance(root, dict) else None
    return value if isinstance(value, str) else ""


def lookup(resolver: Resolver, ref: str, where: str) -> Resolved[Any]:
    """Resolve ``ref`` or raise ``SchemaReferenceError`` naming where it was found."""
    try:
        return resolver.lookup(ref)
    except referencing.exceptions.Unresolvable:
        raise SchemaReferenceError(
            f"Invalid JSON schema: $ref '{ref}' at {where or '/'} resolves to nothing (neither in "
            "the document nor among the schema's references, by name or by $id)"
        ) from None


def check_references(root: Any, resolver: Resolver, draft: str) -> None:
    """Resolve every ``$ref`` reachable from ``root``; raise ``SchemaReferenceError`` on the first miss."""
    spec = specification(draft)
    seen: set[int] = set()
    stack: list[tuple[Any, Resolver, str]] = [(root, resolver, "")]
    while stack:
        schema, scope, where = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        scope = scope.in_subresource(spec.create_resource(schema))
        for keyword in REF_KEYWORDS:
            ref = schema.get(keyword)
            if isinstance(ref, str):
                resolved = lookup(scope, ref, f"{where}/{keyword}")
                stack.append((resolved.contents, resolved.resolver, f"{where}/{keyword}"))
        for path, subschema in subschemas_of(schema):
            stack.append((subschema, scope, where + json_pointer(path)))
