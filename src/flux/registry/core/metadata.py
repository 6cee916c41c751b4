"""A schema version's ``metadata``: tags by path, string properties and sensitive property names.

Shaped and merged like Confluent's ``Metadata`` entity: tags, properties and sensitive names are
kept sorted (so equal metadata compares and hashes equal), JSON omits what is empty, and merging
lets the newer side win key by key. The ``confluent:version`` property carries a version's own
number (see :mod:`flux.registry.core.data_contracts`).

Example:
    >>> md = Metadata.from_json({"properties": {"owner": "ops", "tier": 1}})
    >>> md.to_json()
    {'properties': {'owner': 'ops', 'tier': '1'}}
    >>> merge_metadata(md, Metadata(properties=(("owner", "data"),))).get("owner")
    'data'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Final

__all__ = [
    "CONFLUENT_RESERVED",
    "CONFLUENT_VERSION",
    "Metadata",
    "confluent_version_number",
    "json_text",
    "json_texts",
    "merge_metadata",
    "with_confluent_version",
    "without_confluent_version",
]

# The property Confluent's registry keeps a version's own number in.
CONFLUENT_VERSION: Final = "confluent:version"
# Comma-separated top-level field names that later versions may not reuse (checked with validateFields).
CONFLUENT_RESERVED: Final = "confluent:reserved"


def json_text(value: Any, where: str) -> str:
    """A JSON string field; numbers and booleans become text as Jackson coerces them.

    Raises:
        ValueError: for null, objects and arrays.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    kind = "null" if value is None else ("Array" if isinstance(value, list) else "Object")
    raise ValueError(f"Cannot deserialize {where}: expected a String, got {kind} value")


def json_texts(value: Any, where: str) -> tuple[str, ...]:
    """A JSON array of strings, as a sorted tuple without duplicates (Confluent keeps sorted sets)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"Cannot deserialize {where}: expected an Array")
    return tuple(sorted({json_text(item, f"{where}[]") for item in value}))


def _json_object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"Cannot deserialize {where}: expected an Object")
    return value


@dataclass(frozen=True, slots=True)
class Metadata:
    """Metadata of a schema version (every part sorted; see the module docstring).

    Attributes:
        tags: ``(path, sorted tags)`` pairs sorted by path, e.g. ``(("$.ssn", ("PII",)),)``.
        properties: ``(key, value)`` pairs sorted by key.
        sensitive: sorted names of properties whose values are sensitive.
    """

    tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    sensitive: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: Any) -> Metadata:
        """Parse a ``metadata`` object; unknown attributes are ignored, as Confluent does.

        Raises:
            ValueError: when a part has the wrong JSON type.
        """
        body = _json_object(raw, "metadata")
        tags = _json_object(body.get("tags"), "metadata.tags")
        properties = _json_object(body.get("properties"), "metadata.properties")
        return cls(
            tags=tuple(sorted((str(k), json_texts(v, f"metadata.tags.{k}")) for k, v in tags.items())),
            properties=tuple(
                sorted((str(k), json_text(v, f"metadata.properties.{k}")) for k, v in properties.items())
            ),
            sensitive=json_texts(body.get("sensitive"), "metadata.sensitive"),
        )

    @classmethod
    def of_properties(cls, properties: Iterable[tuple[str, str]]) -> Metadata:
        return cls(properties=tuple(sorted(dict(properties).items())))

    def to_json(self) -> dict[str, object]:
        """Confluent's JSON shape: empty parts omitted (empty metadata is ``{}``)."""
        body: dict[str, object] = {}
        if self.tags:
            body["tags"] = {path: list(tags) for path, tags in self.tags}
        if self.properties:
            body["properties"] = dict(self.properties)
        if self.sensitive:
            body["sensitive"] = list(self.sensitive)
        return body

    def get(self, key: str) -> str | None:
        """The value of property ``key``, if set."""
        for name, value in self.properties:
            if name == key:
                return value
        return None

    def with_property(self, key: str, value: str | None) -> Metadata:
        """A copy with ``key`` set to ``value`` (removed when ``value`` is None)."""
        props = dict(self.properties)
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
        return replace(self, properties=tuple(sorted(props.items())))


def _merge_pairs(
    old: tuple[tuple[str, Any], ...], new: tuple[tuple[str, Any], ...]
) -> tuple[tuple[str, Any], ...]:
    if not old:
        return new
    if not new:
        return old
    return tuple(sorted({**dict(old), **dict(new)}.items()))


def merge_metadata(old: Metadata | None, new: Metadata | None) -> Metadata | None:
    """``new`` over ``old``, as Confluent merges: tag paths and properties key by key (the newer
    wins), sensitive names united; either side missing gives the other."""
    if old is None:
        return new
    if new is None:
        return old
    return Metadata(
        tags=_merge_pairs(old.tags, new.tags),
        properties=_merge_pairs(old.properties, new.properties),
        sensitive=tuple(sorted(set(old.sensitive) | set(new.sensitive))),
    )


def confluent_version_number(metadata: Metadata | None) -> int | None:
    """The integer in ``confluent:version``, if there is one."""
    raw = None if metadata is None else metadata.get(CONFLUENT_VERSION)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def with_confluent_version(metadata: Metadata | None, version: int) -> Metadata:
    return (metadata or Metadata()).with_property(CONFLUENT_VERSION, str(version))


def without_confluent_version(metadata: Metadata | None) -> Metadata:
    """The metadata without ``confluent:version`` (an absent one counts as empty)."""
    return (metadata or Metadata()).with_property(CONFLUENT_VERSION, None)
