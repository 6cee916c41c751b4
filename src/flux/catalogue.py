"""The topic catalogue: every Kafka topic Flux uses, read from ``schemas/topics.yaml``.

Nothing else in the code base spells a topic name: topic creation, service
subscriptions, dead-letter routing and the docs all go through here.

Example:
    >>> from flux.catalogue import load_catalogue
    >>> cat = load_catalogue()
    >>> cat.topic("weather.service.command.fetch").dead_letter
    'weather.service.command.fetch.dlq'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

from flux.paths import schemas_dir

__all__ = [
    "Catalogue",
    "CatalogueError",
    "TopicKind",
    "TopicSpec",
    "load_catalogue",
]

COMMAND_PATTERN: Final = re.compile(r"^[a-z]+\.[a-z]+\.command\.[a-z]+(\.[a-z]+)?$")
EVENT_PATTERN: Final = re.compile(r"^[a-z]+\.[a-z]+\.event\.[a-z]+$")
DLQ_SUFFIX: Final = ".dlq"
# Dead letters are kept long enough for a person to look at them after a weekend.
DLQ_RETENTION_MS: Final = 14 * 24 * 3600 * 1000


class CatalogueError(ValueError):
    """The catalogue file is malformed or breaks a naming rule."""


class TopicKind(StrEnum):
    COMMAND = "command"
    EVENT = "event"
    STREAM = "stream"
    DEAD_LETTER = "dead-letter"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name, kind, owner, consumers and broker configuration."""

    name: str
    kind: TopicKind
    domain: str
    producer: str
    consumers: tuple[str, ...]
    partitions: int
    cleanup_policy: str
    retention_ms: int
    key: str
    dead_letter: str | None = None
    replication_factor: int = 1

    @property
    def subject(self) -> str:
        """Schema Registry subject of the value (TopicNameStrategy)."""
        return f"{self.name}-value"

    def broker_config(self) -> dict[str, str]:
        """Topic-level configuration passed to ``CreateTopics``."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All topics, declared ones first, then their dead-letter topics."""

    topics: tuple[TopicSpec, ...]
    _by_name: dict[str, TopicSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {t.name: t for t in self.topics})

    def topic(self, name: str) -> TopicSpec:
        """Return the topic called ``name``; raise ``KeyError`` naming the catalogue if absent."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"topic {name!r} is not in schemas/topics.yaml") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.topics)

    def of_kind(self, *kinds: TopicKind) -> tuple[TopicSpec, ...]:
        return tuple(t for t in self.topics if t.kind in kinds)

    def consumed_by(self, consumer: str) -> tuple[TopicSpec, ...]:
        """Topics a service (e.g. ``weather-service``, ``bff``) consumes."""
        return tuple(t for t in self.topics if consumer in t.consumers)

    def produced_by(self, producer: str) -> tuple[TopicSpec, ...]:
        return tuple(t for t in self.topics if t.producer == producer)

    def dead_letter_for(self, name: str) -> str:
        dlq = self.topic(name).dead_letter
        if dlq is None:
            raise KeyError(f"topic {name!r} has no dead-letter topic in the catalogue")
        return dlq


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise CatalogueError(f"{where}: missing required field {key!r}")
    return entry[key]


def _parse_topic(entry: dict[str, Any], defaults: dict[str, Any]) -> TopicSpec:
    where = f"topic {entry.get('name', '<unnamed>')!r}"
    try:
        kind = TopicKind(_require(entry, "kind", where))
    except ValueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None
    return TopicSpec(
        name=str(_require(entry, "name", where)),
        kind=kind,
        domain=str(_require(entry, "domain", where)),
        producer=str(_require(entry, "producer", where)),
        consumers=tuple(str(c) for c in _require(entry, "consumers", where)),
        partitions=int(_require(entry, "partitions", where)),
        cleanup_policy=str(_require(entry, "cleanup_policy", where)),
        retention_ms=int(_require(entry, "retention_ms", where)),
        key=str(_require(entry, "key", where)),
        dead_letter=entry.get("dead_letter"),
        replication_factor=int(entry.get("replication_factor", defaults.get("replication_factor", 1))),
    )


def _dead_letter_topic(source: TopicSpec, name: str) -> TopicSpec:
    return TopicSpec(
        name=name,
        kind=TopicKind.DEAD_LETTER,
        domain=source.domain,
        producer=", ".join(source.consumers),
        consumers=("operators",),
        partitions=1,
        cleanup_policy="delete",
        retention_ms=DLQ_RETENTION_MS,
        key="key of the original record",
        replication_factor=source.replication_factor,
    )


def validate_name(spec: TopicSpec) -> None:
    """Raise ``CatalogueError`` when ``spec.name`` breaks the naming convention of its kind."""
    rules: dict[TopicKind, re.Pattern[str] | None] = {
        TopicKind.COMMAND: COMMAND_PATTERN,
        TopicKind.EVENT: EVENT_PATTERN,
        TopicKind.STREAM: EVENT_PATTERN,
        TopicKind.INTERNAL: None,
        TopicKind.DEAD_LETTER: None,
    }
    pattern = rules[spec.kind]
    if pattern is not None and not pattern.match(spec.name):
        raise CatalogueError(f"{spec.kind} topic {spec.name!r} does not match {pattern.pattern}")
    if spec.kind is TopicKind.DEAD_LETTER and not spec.name.endswith(DLQ_SUFFIX):
        raise CatalogueError(f"dead-letter topic {spec.name!r} must end with {DLQ_SUFFIX!r}")
    if spec.kind is TopicKind.INTERNAL and not spec.name.startswith("_"):
        raise CatalogueError(f"internal topic {spec.name!r} must start with '_'")
    if spec.kind in (TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM) and not spec.name.startswith(
        spec.domain + "."
    ):
        raise CatalogueError(f"topic {spec.name!r} must start with its domain {spec.domain!r}")


def parse_catalogue(text: str) -> Catalogue:
    """Parse and validate catalogue YAML text."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("topics"), list):
        raise CatalogueError("catalogue must be a mapping with a 'topics' list")
    defaults = raw.get("defaults") or {}
    declared = [_parse_topic(entry, defaults) for entry in raw["topics"]]
    dead_letters = [_dead_letter_topic(t, t.dead_letter) for t in declared if t.dead_letter]
    topics = (*declared, *dead_letters)
    seen: set[str] = set()
    for spec in topics:
        validate_name(spec)
        if spec.name in seen:
            raise CatalogueError(f"topic {spec.name!r} is declared twice")
        seen.add(spec.name)
        if spec.partitions < 1:
            raise CatalogueError(f"topic {spec.name!r}: partitions must be >= 1")
    return Catalogue(topics=topics)


@cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load ``schemas/topics.yaml`` (cached: the file is part of the release)."""
    source = path or schemas_dir() / "topics.yaml"
    return parse_catalogue(source.read_text(encoding="utf-8"))
