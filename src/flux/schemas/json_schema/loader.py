"""Decoded JSON schema -> model nodes, loading it the way Confluent does.

Drafts 4, 6 and 7 follow everit's ``SchemaLoader``: a ``$ref`` hides every sibling keyword;
otherwise ``enum``, ``allOf``/``anyOf``/``oneOf``, ``not``, ``const`` and ``type`` each yield
a schema, then any keyword left over that belongs to a kind (object, array, number, string)
not already built yields one schema of that kind; several schemas become a synthetic
``allOf``. Drafts 2019-09 and 2020-12 follow json-sKema plus Confluent's ``SchemaTranslator``,
which gives the same shape with a few differences kept here: ``$ref`` combines with its
siblings, ``format`` and an empty ``properties`` yield nothing, ``prefixItems``/``items``
play the roles of tuple ``items``/``additionalItems``, and ``dependentRequired`` /
``dependentSchemas`` replace ``dependencies``.

Example:
    >>> from flux.schemas.json_schema.refs import build_resolver
    >>> schema = {"type": "string", "enum": ["a"]}
    >>> node = ModelLoader("draft-07").load(schema, build_resolver(schema, "draft-07", {}))
    >>> node.kind, [sub.kind for sub in node.subschemas]
    ('combined', ['enum', 'string'])
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from flux.schemas.json_schema.canonical import value_key
from flux.schemas.json_schema.drafts import (
    ARRAY_KEYWORDS,
    MODERN_DRAFTS,
    NUMBER_KEYWORDS,
    OBJECT_KEYWORDS,
    STRING_KEYWORDS,
    specification,
)
from flux.schemas.json_schema.model import (
    ABSENT,
    ArrayNode,
    BooleanNode,
    CombinedNode,
    ConditionalNode,
    ConstNode,
    EmptyNode,
    EnumNode,
    FalseNode,
    Meta,
    Node,
    NotNode,
    NullNode,
    NumberNode,
    ObjectNode,
    RefNode,
    StringNode,
)
from flux.schemas.json_schema.refs import REF_KEYWORDS, Resolver, lookup

__all__ = ["ModelLoader"]

_CRITERIA: Final = ("allOf", "anyOf", "oneOf")
_TYPE_FAMILY: Final = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "array": "array",
    "object": "object",
}
_CONDITIONAL: Final = ("if", "then", "else")
_MAYBE_EMPTY: Final = frozenset({"properties", "patternProperties"})


class ModelLoader:
    """Builds model nodes for one schema document (and what its ``$ref``s reach)."""

    def __init__(self, draft: str) -> None:
        self._draft = draft
        self._modern = draft in MODERN_DRAFTS
        self._spec = specification(draft)
        self._targets: dict[int, Node] = {}
        self._alive: list[Any] = []  # keeps $ref targets alive: their id() keys the cache

    def load_root(self, schema: Any, resolver: Resolver) -> Node:
        node = self.load(schema, resolver)
        self._targets[id(schema)] = node
        self._alive.append(schema)
        return node

    def load(self, schema: Any, resolver: Resolver) -> Node:
        if schema is True or schema is False or not isinstance(schema, dict):
            if schema is False:
                return FalseNode(source=schema)
            return EmptyNode(is_true=schema is True, source=schema)
        scope = resolver.in_subresource(self._spec.create_resource(schema))
        if not self._modern and isinstance(schema.get("$ref"), str):
            node: Node = self._ref(schema["$ref"], scope, schema)
        else:
            parts = self._parts(schema, scope)
            if not parts:
                node = EmptyNode(source=schema)
            elif len(parts) == 1:
                node = parts[0]
                node.part = ""
            else:
                node = CombinedNode(criterion="allOf", subschemas=parts, source=schema)
        node.meta = self._meta(schema)
        return node

    def _meta(self, schema: dict[str, Any]) -> Meta:
        # everit also reports a change of a draft-04 style "id" under drafts 6/7.
        id_value = schema.get("id") if self._draft == "draft-04" else schema.get("$id", schema.get("id"))
        return Meta(
            id=id_value if isinstance(id_value, str) else None,
            title=schema.get("title"),
            description=schema.get("description"),
            default=schema.get("default", ABSENT),
        )

    def _ref(self, ref: str, scope: Resolver, source: dict[str, Any], part: str = "") -> RefNode:
        resolved = lookup(scope, ref, "")
        contents, target_scope = resolved.contents, resolved.resolver

        def build_target() -> Node:
            node = self._targets.get(id(contents))
            if node is None:
                node = self.load(contents, target_scope)
                self._targets[id(contents)] = node
                self._alive.append(contents)
            return node

        return RefNode(ref, build_target, source=source, part=part)

    def _parts(self, schema: dict[str, Any], scope: Resolver) -> list[Node]:
        parts: list[Node] = []
        if self._modern:
            parts.extend(
                self._ref(schema[kw], scope, schema, kw)
                for kw in REF_KEYWORDS
                if isinstance(schema.get(kw), str)
            )
        if isinstance(schema.get("enum"), list):
            values = frozenset(value_key(v) for v in schema["enum"])
            parts.append(EnumNode(values=values, source=schema, part="enum"))
        for criterion in _CRITERIA:
            if isinstance(schema.get(criterion), list):
                subschemas = [self.load(sub, scope) for sub in schema[criterion]]
                parts.append(
                    CombinedNode(criterion=criterion, subschemas=subschemas, source=schema, part=criterion)
                )
        if "not" in schema:
            parts.append(NotNode(schema=self.load(schema["not"], scope), source=schema, part="not"))
        if "const" in schema and self._draft != "draft-04":
            parts.append(ConstNode(value=value_key(schema["const"]), source=schema, part="const"))
        built: set[str] = set()
        types = schema.get("type")
        if isinstance(types, str):
            parts.append(self._typed(types, schema, scope))
            built.add(_TYPE_FAMILY.get(types, ""))
        elif isinstance(types, list):
            typed = [self._typed(t, schema, scope) for t in types if isinstance(t, str)]
            parts.append(CombinedNode(criterion="anyOf", subschemas=typed, source=schema, part="type"))
            built.update(_TYPE_FAMILY.get(t, "") for t in types if isinstance(t, str))
        for family in ("array", "object", "number", "string"):
            if family not in built and self._has_family_keywords(family, schema):
                parts.append(self._family(family, schema, scope))
        conditional_ok = self._modern or self._draft == "draft-07"
        if conditional_ok and any(kw in schema for kw in _CONDITIONAL):
            parts.append(ConditionalNode(source=schema, part="if"))
        return parts

    def _has_family_keywords(self, family: str, schema: dict[str, Any]) -> bool:
        table = {"array": ARRAY_KEYWORDS, "object": OBJECT_KEYWORDS, "number": NUMBER_KEYWORDS}.get(
            family, STRING_KEYWORDS
        )[self._draft]
        present = set(table.intersection(schema))
        if self._modern:
            # json-sKema yields nothing for an empty "properties"/"patternProperties".
            present = {kw for kw in present if not (kw in _MAYBE_EMPTY and schema[kw] == {})}
        return bool(present)

    def _typed(self, type_name: str, schema: dict[str, Any], scope: Resolver) -> Node:
        family = _TYPE_FAMILY.get(type_name)
        if family is None:
            node: Node = BooleanNode() if type_name == "boolean" else NullNode()
        else:
            node = self._family(family, schema, scope)
            if isinstance(node, NumberNode):
                node.integer = type_name == "integer"
        node.source, node.part = schema, type_name
        return node

    def _family(self, family: str, schema: dict[str, Any], scope: Resolver) -> Node:
        if family == "string":
            node: Node = self._string(schema)
        elif family == "number":
            node = self._number(schema)
        elif family == "object":
            node = self._object(schema, scope)
        else:
            node = self._array(schema, scope)
        node.source, node.part = schema, family
        return node

    def _string(self, schema: dict[str, Any]) -> StringNode:
        return StringNode(
            min_length=_int(schema.get("minLength")),
            max_length=_int(schema.get("maxLength")),
            pattern=schema["pattern"] if isinstance(schema.get("pattern"), str) else None,
        )

    def _number(self, schema: dict[str, Any]) -> NumberNode:
        # Draft-04's boolean exclusiveMinimum/Maximum only flag the bound: Confluent never compares the flag.
        return NumberNode(
            minimum=_num(schema.get("minimum")),
            maximum=_num(schema.get("maximum")),
            exclusive_minimum=_num(schema.get("exclusiveMinimum")),
            exclusive_maximum=_num(schema.get("exclusiveMaximum")),
            multiple_of=_num(schema.get("multipleOf")),
        )

    def _object(self, schema: dict[str, Any], scope: Resolver) -> ObjectNode:
        node = ObjectNode()
        for name, sub in _mapping(schema.get("properties")).items():
            node.properties[name] = self.load(sub, scope)
        node.required = [p for p in schema.get("required", []) if isinstance(p, str)]
        node.min_properties = _int(schema.get("minProperties"))
        node.max_properties = _int(schema.get("maxProperties"))
        additional = schema.get("additionalProperties", True)
        if additional is False:
            node.additional_allowed = False
        elif isinstance(additional, dict):
            node.additional_schema = self.load(additional, scope)
        node.pattern_properties = [
            (pattern, self.load(sub, scope))
            for pattern, sub in _mapping(schema.get("patternProperties")).items()
        ]
        if self._modern:
            array_deps = _mapping(schema.get("dependentRequired"))
            schema_deps = _mapping(schema.get("dependentSchemas"))
        else:
            deps = _mapping(schema.get("dependencies"))
            array_deps = {k: v for k, v in deps.items() if isinstance(v, list)}
            schema_deps = {k: v for k, v in deps.items() if not isinstance(v, list)}
        node.property_dependencies = {
            k: frozenset(p for p in v if isinstance(p, str))
            for k, v in array_deps.items()
            if isinstance(v, list)
        }
        node.schema_dependencies = {k: self.load(v, scope) for k, v in schema_deps.items()}
        return node

    def _array(self, schema: dict[str, Any], scope: Resolver) -> ArrayNode:
        node = ArrayNode()
        node.min_items = _int(schema.get("minItems"))
        node.max_items = _int(schema.get("maxItems"))
        node.unique_items = schema.get("uniqueItems") is True
        items = schema.get("items")
        if isinstance(items, list):
            node.items = [self.load(sub, scope) for sub in items]
        if self._draft == "2020-12" and isinstance(schema.get("prefixItems"), list):
            node.items = [self.load(sub, scope) for sub in schema["prefixItems"]]
        if "additionalItems" in schema and self._draft != "2020-12":
            self._additional_items(node, schema["additionalItems"], scope)
        if isinstance(items, dict | bool):
            if not self._modern:
                node.all_items = self.load(items, scope)
            elif self._draft == "2020-12" and schema.get("prefixItems"):
                self._additional_items(node, items, scope)  # "items" after "prefixItems"
            elif items is False:
                node.additional_allowed = False  # the translator maps items:false this way
            elif items is not True:
                node.all_items = self.load(items, scope)
        return node

    def _additional_items(self, node: ArrayNode, value: Any, scope: Resolver) -> None:
        if value is False:
            node.additional_allowed = False
        elif value is not True:
            node.additional_schema = self.load(value, scope)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> int | Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else value
