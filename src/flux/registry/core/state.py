"""In-memory registry state rebuilt from the log: subjects, versions, schemas by id, configs, modes.

State changes only through :meth:`RegistryState.apply` (one log record at a time), so every
instance that replays the same log ends in the same state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from flux.registry.core.metadata import Metadata
from flux.registry.core.model import Reference, StoredSchema, SubjectVersion
from flux.registry.core.records import (
    ConfigRecord,
    DeleteSubjectRecord,
    HighWaterRecord,
    LogRecord,
    ModeRecord,
    SchemaRecord,
)
from flux.registry.core.rules import RuleSet
from flux.registry.core.subject_config import SubjectConfig
from flux.schemas.compatibility import ParsedSchema, parse_schema
from flux.schemas.types import SchemaType

__all__ = ["RegistryState", "SchemaKey"]

LOG = logging.getLogger(__name__)

# (type, identity or text, references, metadata, rule set): two schemas with equal keys share one
# global id (as in Confluent, the same text with other metadata or rules gets another id).
SchemaKey = tuple[SchemaType, str, tuple[Reference, ...], Metadata | None, RuleSet | None]


@dataclass
class RegistryState:
    """Everything the registry knows, as replayed from the log."""

    schemas: dict[int, StoredSchema] = field(default_factory=dict)
    subjects: dict[str, dict[int, SubjectVersion]] = field(default_factory=dict)
    configs: dict[str | None, SubjectConfig] = field(default_factory=dict)
    modes: dict[str | None, str] = field(default_factory=dict)
    max_id: int = 0
    _users: dict[int, set[tuple[str, int]]] = field(default_factory=dict)
    _by_text: dict[SchemaKey, int] = field(default_factory=dict)
    _by_identity: dict[SchemaKey, int] | None = None
    _identity_of: dict[int, SchemaKey] = field(default_factory=dict)
    _parsed: dict[int, ParsedSchema] = field(default_factory=dict)
    _unindexed: set[int] = field(default_factory=set)

    # ------------------------------------------------------------------ applying records
    def apply(self, record: LogRecord) -> None:
        """Apply one log record."""
        if isinstance(record, SchemaRecord):
            self._apply_schema(record)
        elif isinstance(record, ConfigRecord):
            if record.config is None:
                self.configs.pop(record.subject, None)
            else:
                self.configs[record.subject] = record.config
        elif isinstance(record, ModeRecord):
            if record.mode is None:
                self.modes.pop(record.subject, None)
            else:
                self.modes[record.subject] = record.mode
        elif isinstance(record, DeleteSubjectRecord):
            for entry in self.subjects.get(record.subject, {}).values():
                if entry.version <= record.version:
                    entry.deleted = True
        elif isinstance(record, HighWaterRecord):
            self.max_id = max(self.max_id, record.schema_id)

    def _apply_schema(self, record: SchemaRecord) -> None:
        versions = self.subjects.setdefault(record.subject, {})
        previous = versions.get(record.version)
        if previous is not None and (record.schema is None or previous.schema_id != record.schema.schema_id):
            self._release(previous.schema_id, record.subject, record.version)
        if record.schema is None:
            versions.pop(record.version, None)
            if not versions:
                del self.subjects[record.subject]
            return
        schema = record.schema
        self.max_id = max(self.max_id, schema.schema_id)
        if schema.schema_id not in self.schemas:
            self.schemas[schema.schema_id] = schema
            self._by_text.setdefault(self._text_key(schema), schema.schema_id)
            self._unindexed.add(schema.schema_id)
        self._users.setdefault(schema.schema_id, set()).add((record.subject, record.version))
        versions[record.version] = SubjectVersion(
            record.subject, record.version, schema.schema_id, record.deleted
        )

    def _release(self, schema_id: int, subject: str, version: int) -> None:
        users = self._users.get(schema_id)
        if users is None:
            return
        users.discard((subject, version))
        if users:
            return
        del self._users[schema_id]
        self._unindexed.discard(schema_id)
        schema = self.schemas.pop(schema_id, None)
        self._parsed.pop(schema_id, None)
        if schema is not None and self._by_text.get(self._text_key(schema)) == schema_id:
            del self._by_text[self._text_key(schema)]
        key = self._identity_of.pop(schema_id, None)
        if key is not None and self._by_identity is not None and self._by_identity.get(key) == schema_id:
            del self._by_identity[key]

    # ------------------------------------------------------------------ identity
    @staticmethod
    def _text_key(schema: StoredSchema) -> SchemaKey:
        return (schema.schema_type, schema.text, schema.references, schema.metadata, schema.rule_set)

    def resolve_references(self, references: tuple[Reference, ...]) -> dict[str, str]:
        """Texts of every schema ``references`` point to, transitively, by reference name.

        Raises:
            LookupError: when a reference points to a missing subject version.
        """
        resolved: dict[str, str] = {}
        self._collect(references, resolved, depth=0)
        return resolved

    def _collect(self, references: tuple[Reference, ...], into: dict[str, str], depth: int) -> None:
        if depth > 32:
            raise LookupError("references nested too deeply (cycle?)")
        for ref in references:
            if ref.name in into:
                continue
            entry = self.subjects.get(ref.subject, {}).get(ref.version)
            target = self.schemas.get(entry.schema_id) if entry is not None else None
            if target is None:
                raise LookupError(f"reference {ref.name!r} → subject {ref.subject!r} version {ref.version}")
            self._collect(target.references, into, depth + 1)
            into[ref.name] = target.text

    def parsed(self, schema_id: int) -> ParsedSchema:
        """The parsed form of a stored schema (cached)."""
        found = self._parsed.get(schema_id)
        if found is None:
            schema = self.schemas[schema_id]
            found = parse_schema(schema.schema_type, schema.text, self.resolve_references(schema.references))
            self._parsed[schema_id] = found
        return found

    def remember_parsed(self, schema_id: int, parsed: ParsedSchema) -> None:
        self._parsed.setdefault(schema_id, parsed)

    def _identity_key(self, schema_id: int) -> SchemaKey | None:
        key = self._identity_of.get(schema_id)
        if key is None:
            schema = self.schemas[schema_id]
            try:
                identity = self.parsed(schema_id).identity
            except (ValueError, LookupError) as exc:
                LOG.warning("stored schema does not parse", extra={"schema_id": schema_id, "error": str(exc)})
                return None
            key = (schema.schema_type, identity, schema.references, schema.metadata, schema.rule_set)
            self._identity_of[schema_id] = key
        return key

    def index_pending(self, budget: int) -> bool:
        """Compute the identity of up to ``budget`` schemas not indexed yet; True while some remain.

        Identities need parsing (Protobuf: compiling), so the server calls this in small steps in
        the background after the replay instead of on the first registration.
        """
        if self._by_identity is None:
            self._by_identity = {}
        index = self._by_identity
        for _ in range(budget):
            if not self._unindexed:
                return False
            schema_id = self._unindexed.pop()
            key = self._identity_key(schema_id)
            if key is not None and (key not in index or index[key] > schema_id):
                index[key] = schema_id  # the oldest id wins when imports made duplicates
        return bool(self._unindexed)

    def find_schema_id(self, candidate: StoredSchema, identity: str) -> int | None:
        """Global id of an existing schema equal to ``candidate`` (same text, or same identity, and
        the same references, metadata and rule set), if any; ``candidate.schema_id`` is ignored."""
        exact = self._by_text.get(self._text_key(candidate))
        if exact is not None:
            return exact
        while self.index_pending(1_000):
            pass
        assert self._by_identity is not None
        c = candidate
        return self._by_identity.get((c.schema_type, identity, c.references, c.metadata, c.rule_set))

    def identity_of(self, schema_id: int) -> str | None:
        key = self._identity_key(schema_id)
        return None if key is None else key[1]

    # ------------------------------------------------------------------ queries
    def versions(self, subject: str, *, include_deleted: bool = False) -> list[SubjectVersion]:
        """Versions of ``subject``, oldest first."""
        found = self.subjects.get(subject, {})
        return [found[v] for v in sorted(found) if include_deleted or not found[v].deleted]

    def subject_names(self, *, include_deleted: bool = False, deleted_only: bool = False) -> list[str]:
        names = []
        for subject, versions in self.subjects.items():
            live = any(not v.deleted for v in versions.values())
            if deleted_only:
                if not live:
                    names.append(subject)
            elif live or include_deleted:
                names.append(subject)
        return sorted(names)

    def users_of(self, schema_id: int) -> list[tuple[str, int]]:
        return sorted(self._users.get(schema_id, ()))

    def referenced_by(self, subject: str, version: int) -> list[int]:
        """Ids of schemas (in live subject versions) that reference ``subject`` at ``version``."""
        found: set[int] = set()
        for schema in self.schemas.values():
            if any(r.subject == subject and r.version == version for r in schema.references) and any(
                not self.subjects[s][v].deleted for s, v in self._users.get(schema.schema_id, ())
            ):
                found.add(schema.schema_id)
        return sorted(found)

    def iter_versions(self) -> Iterator[SubjectVersion]:
        for subject in sorted(self.subjects):
            yield from self.versions(subject, include_deleted=True)
