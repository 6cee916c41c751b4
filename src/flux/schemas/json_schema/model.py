"""The schema model the compatibility rules work on, shaped like Confluent's (everit) schema classes.

Confluent does not compare JSON texts: it loads each schema into one object per kind of
constraint (a string schema, a number schema, an object schema, ...) and compares those.
One JSON object can yield several of them (``{"type": "string", "enum": [...]}`` is an
enum schema *and* a string schema, held in a synthetic ``allOf``), and a keyword only
counts for the kind it belongs to. The classes below carry exactly what the rules read.

Example:
    >>> node = StringNode(max_length=3)
    >>> node.kind, node.max_length, node.min_length
    ('string', 3, None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Final

from flux.schemas.json_schema.canonical import value_key

__all__ = [
    "ABSENT",
    "ArrayNode",
    "BooleanNode",
    "CombinedNode",
    "ConditionalNode",
    "ConstNode",
    "EmptyNode",
    "EnumNode",
    "FalseNode",
    "Meta",
    "Node",
    "NotNode",
    "NullNode",
    "NumberNode",
    "ObjectNode",
    "RefNode",
    "StringNode",
    "class_of",
]


class _Absent:
    """Marker for "keyword not present" where ``None`` (JSON null) is a legitimate value."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()

Number = int | Decimal


@dataclass(frozen=True, slots=True)
class Meta:
    """Annotations Confluent compares on every schema (all changes to them are compatible)."""

    id: str | None = None
    title: Any = None
    description: Any = None
    default: Any = ABSENT

    @property
    def has_default(self) -> bool:
        return self.default is not ABSENT


@dataclass(eq=False, kw_only=True)
class Node:
    """Base of every schema node. ``kind`` plays the role of the Java class."""

    kind: ClassVar[str] = "node"
    meta: Meta = field(default_factory=Meta)
    source: Any = None  # the JSON this node was loaded from
    part: str = ""  # which part of ``source`` (e.g. "enum") when one JSON object yields several nodes
    _key: str | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """Equal for two subschemas Confluent treats as duplicates inside one allOf/anyOf/oneOf."""
        if self._key is None:
            self._key = f"{self.part}|{value_key(self.source)}"
        return self._key


@dataclass(eq=False, kw_only=True)
class EmptyNode(Node):
    """``{}`` (or only annotations) and ``true``; the two are different classes to Confluent."""

    kind: ClassVar[str] = "empty"
    is_true: bool = False

    @property
    def kind_name(self) -> str:
        return "true" if self.is_true else "empty"


@dataclass(eq=False, kw_only=True)
class FalseNode(Node):
    kind: ClassVar[str] = "false"


@dataclass(eq=False, kw_only=True)
class StringNode(Node):
    kind: ClassVar[str] = "string"
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


@dataclass(eq=False, kw_only=True)
class NumberNode(Node):
    kind: ClassVar[str] = "number"
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    multiple_of: Number | None = None
    integer: bool = False


@dataclass(eq=False, kw_only=True)
class BooleanNode(Node):
    kind: ClassVar[str] = "boolean"


@dataclass(eq=False, kw_only=True)
class NullNode(Node):
    kind: ClassVar[str] = "null"


@dataclass(eq=False, kw_only=True)
class ConditionalNode(Node):
    """``if``/``then``/``else``: Confluent has no rule for it beyond the annotations."""

    kind: ClassVar[str] = "conditional"


@dataclass(eq=False, kw_only=True)
class EnumNode(Node):
    kind: ClassVar[str] = "enum"
    values: frozenset[str] = frozenset()  # value keys, see canonical.value_key


@dataclass(eq=False, kw_only=True)
class ConstNode(Node):
    kind: ClassVar[str] = "const"
    value: str = ""  # value key


@dataclass(eq=False, kw_only=True)
class CombinedNode(Node):
    kind: ClassVar[str] = "combined"
    criterion: str = "allOf"  # "allOf" | "anyOf" | "oneOf"
    subschemas: list[Node] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class NotNode(Node):
    kind: ClassVar[str] = "not"
    schema: Node = field(default_factory=EmptyNode)


@dataclass(eq=False, kw_only=True)
class ObjectNode(Node):
    kind: ClassVar[str] = "object"
    properties: dict[str, Node] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    min_properties: int | None = None
    max_properties: int | None = None
    additional_allowed: bool = True
    additional_schema: Node | None = None
    pattern_properties: list[tuple[str, Node]] = field(default_factory=list)
    property_dependencies: dict[str, frozenset[str]] = field(default_factory=dict)
    schema_dependencies: dict[str, Node] = field(default_factory=dict)


@dataclass(eq=False, kw_only=True)
class ArrayNode(Node):
    kind: ClassVar[str] = "array"
    all_items: Node | None = None
    items: list[Node] | None = None
    additional_allowed: bool = True
    additional_schema: Node | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False


class RefNode(Node):
    """A ``$ref``; its target is built on first use so recursive schemas stay finite."""

    kind: ClassVar[str] = "ref"

    def __init__(self, ref: str, build_target: Callable[[], Node], *, source: Any, part: str = "") -> None:
        super().__init__(source=source, part=part)
        self.ref = ref
        self._build_target = build_target
        self._target: Node | None = None

    @property
    def target(self) -> Node:
        if self._target is None:
            self._target = self._build_target()
        return self._target


def class_of(node: Node) -> str:
    """The name standing for the Java class of ``node`` (``{}`` and ``true`` differ)."""
    if isinstance(node, EmptyNode):
        return node.kind_name
    return node.kind
