"""In-memory registry state rebuilt from the log: subjects, versions, schemas by id, configs, modes.

State changes only through :meth:`RegistryState.apply` (one log record at a time), so every
instance that replays the same log ends in the same state. Besides the state, it keeps caches of
values derived from it — parsed forms and identities of stored schemas — which fill lazily (on
first use, by the background indexing after the replay, or with the parse a registration already
made: :meth:`RegistryState.remember_parsed`) and never change an answer. Schemas are keyed by
:data:`~flux.registry.core.model.SchemaRef` (context, id): ids are allocated per context, as
Confluent allocates them; the default context's are the ids every deserializer sees.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from flux.registry.core.guid import schema_guid
from flux.registry.core.metadata import Metadata
from flux.registry.core.model import Reference, SchemaRef, StoredSchema, SubjectVersion
from flux.registry.core.qualified import DEFAULT_CONTEXT, context_of, qualify_in
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

# (context, type, identity or text, references, metadata, rule set): two schemas with equal keys
# share one id (as in Confluent, the same text with other metadata or rules gets another id).
SchemaKey = tuple[str, SchemaType, str, tuple[Reference, ...], Metadata | None, RuleSet | None]


@dataclass
class RegistryState:
    """Everything the registry knows, as replayed from the log.

    ``created`` and ``deleted`` count subject versions registered and soft-deleted by schema
    type since the replay began (Confluent's ``*-schemas-created`` / ``-deleted`` metrics).
    ``generation`` grows by one with every record applied: an answer computed at one generation
    holds until the next (the lookup and response caches of the API are invalidated by it).
    """

    schemas: dict[SchemaRef, StoredSchema] = field(default_factory=dict)
    subjects: dict[str, dict[int, SubjectVersion]] = field(default_factory=dict)
    configs: dict[str | None, SubjectConfig] = field(default_factory=dict)
    modes: dict[str | None, str] = field(default_factory=dict)
    max_ids: dict[str, int] = field(default_factory=dict)
    created: Counter[SchemaType] = field(default_factory=Counter)
    deleted: Counter[SchemaType] = field(default_factory=Counter)
    generation: int = 0
    _users: dict[SchemaRef, set[tuple[str, int]]] = field(default_factory=dict)
    _by_text: dict[SchemaKey, SchemaRef] = field(default_factory=dict)
    _by_identity: dict[SchemaKey, SchemaRef] | None = None
    _identity_of: dict[SchemaRef, SchemaKey] = field(default_factory=dict)
    _parsed: dict[SchemaRef, ParsedSchema] = field(default_factory=dict)
    _unindexed: set[SchemaRef] = field(default_factory=set)
    _guids: dict[SchemaRef, str] = field(default_factory=dict)
    _by_guid: dict[str, SchemaRef] = field(default_factory=dict)

    @property
    def max_id(self) -> int:
        """The highest id of the default context."""
        return self.max_ids.get(DEFAULT_CONTEXT, 0)

    def max_id_in(self, context: str) -> int:
        return self.max_ids.get(context, 0)

    # ------------------------------------------------------------------ applying records
    def apply(self, record: LogRecord) -> None:
        """Apply one log record."""
        self.generation += 1
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
                if entry.version <= record.version and not entry.deleted:
                    entry.deleted = True
                    self._count_deleted(entry)
        elif isinstance(record, HighWaterRecord):
            self._raise_max(record.context, record.schema_id)

    def _raise_max(self, context: str, schema_id: int) -> None:
        self.max_ids[context] = max(self.max_ids.get(context, 0), schema_id)

    def _count_deleted(self, entry: SubjectVersion) -> None:
        schema = self.schemas.get(entry.ref)
        if schema is not None:
            self.deleted[schema.schema_type] += 1

    def _apply_schema(self, record: SchemaRecord) -> None:
        versions = self.subjects.setdefault(record.subject, {})
        previous = versions.get(record.version)
        if previous is not None and (record.schema is None or previous.ref != record.schema.ref):
            self._release(previous.ref, record.subject, record.version)
        if record.schema is None:
            versions.pop(record.version, None)
            if not versions:
                del self.subjects[record.subject]
            return
        schema = record.schema
        self._raise_max(schema.context, schema.schema_id)
        if schema.ref not in self.schemas:
            self.schemas[schema.ref] = schema
            self._by_text.setdefault(self._text_key(schema), schema.ref)
            self._unindexed.add(schema.ref)
            guid = schema_guid(schema)
            self._guids[schema.ref] = guid
            self._by_guid.setdefault(guid, schema.ref)
        self._users.setdefault(schema.ref, set()).add((record.subject, record.version))
        if previous is None:
            self.created[schema.schema_type] += 1
        if record.deleted and (previous is None or not previous.deleted):
            self.deleted[schema.schema_type] += 1
        versions[record.version] = SubjectVersion(
            record.subject, record.version, schema.schema_id, record.deleted
        )

    def _release(self, ref: SchemaRef, subject: str, version: int) -> None:
        users = self._users.get(ref)
        if users is None:
            return
        users.discard((subject, version))
        if users:
            return
        del self._users[ref]
        self._unindexed.discard(ref)
        schema = self.schemas.pop(ref, None)
        self._parsed.pop(ref, None)
        guid = self._guids.pop(ref, None)
        if guid is not None and self._by_guid.get(guid) == ref:
            del self._by_guid[guid]
        if schema is not None and self._by_text.get(self._text_key(schema)) == ref:
            del self._by_text[self._text_key(schema)]
        key = self._identity_of.pop(ref, None)
        if key is not None and self._by_identity is not None and self._by_identity.get(key) == ref:
            del self._by_identity[key]

    # ------------------------------------------------------------------ identity
    @staticmethod
    def _text_key(schema: StoredSchema) -> SchemaKey:
        s = schema
        return (s.context, s.schema_type, s.text, s.references, s.metadata, s.rule_set)

    def resolve_references(
        self, references: tuple[Reference, ...], context: str = DEFAULT_CONTEXT
    ) -> dict[str, str]:
        """Texts of every schema ``references`` point to, transitively, by reference name; a
        reference's subject without a context is looked up in ``context``.

        Raises:
            LookupError: when a reference points to a missing subject version.
        """
        resolved: dict[str, str] = {}
        self._collect(references, context, resolved, depth=0)
        return resolved

    def _collect(
        self, references: tuple[Reference, ...], context: str, into: dict[str, str], depth: int
    ) -> None:
        if depth > 32:
            raise LookupError("references nested too deeply (cycle?)")
        for ref in references:
            if ref.name in into:
                continue
            subject = qualify_in(ref.subject, context)
            entry = self.subjects.get(subject, {}).get(ref.version)
            target = self.schemas.get(entry.ref) if entry is not None else None
            if target is None:
                raise LookupError(f"reference {ref.name!r} → subject {ref.subject!r} version {ref.version}")
            self._collect(target.references, target.context, into, depth + 1)
            into[ref.name] = target.text

    def parsed(self, ref: SchemaRef) -> ParsedSchema:
        """The parsed form of a stored schema (cached)."""
        found = self._parsed.get(ref)
        if found is None:
            schema = self.schemas[ref]
            references = self.resolve_references(schema.references, schema.context)
            found = parse_schema(schema.schema_type, schema.text, references)
            self._parsed[ref] = found
        return found

    def remember_parsed(self, ref: SchemaRef, parsed: ParsedSchema) -> None:
        """Cache the parsed form of a schema just registered (a cache fill, not a state change:
        :meth:`parsed` would compute the same value)."""
        self._parsed.setdefault(ref, parsed)

    def _identity_key(self, ref: SchemaRef) -> SchemaKey | None:
        key = self._identity_of.get(ref)
        if key is None:
            s = self.schemas[ref]
            try:
                identity = self.parsed(ref).identity
            except (ValueError, LookupError) as exc:
                LOG.warning("stored schema does not parse", extra={"schema_id": ref[1], "error": str(exc)})
                return None
            key = (s.context, s.schema_type, identity, s.references, s.metadata, s.rule_set)
            self._identity_of[ref] = key
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
            ref = self._unindexed.pop()
            key = self._identity_key(ref)
            if key is not None and (key not in index or index[key][1] > ref[1]):
                index[key] = ref  # the oldest id wins when imports made duplicates
        return bool(self._unindexed)

    def find_schema_id(self, candidate: StoredSchema, identity: str) -> int | None:
        """Id (in the candidate's context) of an existing schema equal to ``candidate`` (same
        text, or same identity, and the same references, metadata and rule set), if any;
        ``candidate.schema_id`` is ignored."""
        exact = self._by_text.get(self._text_key(candidate))
        if exact is not None:
            return exact[1]
        # Async callers complete the index cooperatively first (RegistryContext.indexed), so this
        # only does work for synchronous callers (tests, tools).
        while self.index_pending(1_000):
            pass
        assert self._by_identity is not None
        c = candidate
        found = self._by_identity.get(
            (c.context, c.schema_type, identity, c.references, c.metadata, c.rule_set)
        )
        return None if found is None else found[1]

    def identity_of(self, ref: SchemaRef) -> str | None:
        key = self._identity_key(ref)
        return None if key is None else key[2]

    def guid_of(self, ref: SchemaRef) -> str:
        return self._guids[ref]

    def by_guid(self, guid: str) -> StoredSchema | None:
        ref = self._by_guid.get(guid)
        return None if ref is None else self.schemas.get(ref)

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

    def contexts(self) -> list[str]:
        """The default context, then every other context holding a subject, sorted."""
        return [DEFAULT_CONTEXT, *sorted({context_of(s) for s in self.subjects} - {DEFAULT_CONTEXT})]

    def users_of(self, ref: SchemaRef) -> list[tuple[str, int]]:
        return sorted(self._users.get(ref, ()))

    def referenced_by(self, subject: str, version: int) -> list[int]:
        """Ids of schemas (in live subject versions) that reference ``subject`` at ``version``."""
        found: set[int] = set()
        for ref, schema in self.schemas.items():
            if any(
                qualify_in(r.subject, schema.context) == subject and r.version == version
                for r in schema.references
            ) and any(not self.subjects[s][v].deleted for s, v in self._users.get(ref, ())):
                found.add(schema.schema_id)
        return sorted(found)

    def iter_versions(self) -> Iterator[SubjectVersion]:
        for subject in sorted(self.subjects):
            yield from self.versions(subject, include_deleted=True)
