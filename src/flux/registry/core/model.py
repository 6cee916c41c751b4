"""Registry values: references, stored schemas (with their data contracts), subject versions, modes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flux.registry.core.metadata import Metadata
from flux.registry.core.qualified import DEFAULT_CONTEXT, context_of
from flux.registry.core.rules import RuleSet
from flux.schemas.types import SchemaType

__all__ = ["Mode", "Reference", "SchemaRef", "StoredSchema", "SubjectVersion"]

# A stored schema's key: ids are allocated per context, so (context, id).
SchemaRef = tuple[str, int]


class Mode(StrEnum):
    """Confluent's registry modes."""

    READWRITE = "READWRITE"
    READONLY = "READONLY"
    READONLY_OVERRIDE = "READONLY_OVERRIDE"
    IMPORT = "IMPORT"

    @property
    def writable(self) -> bool:
        return self in (Mode.READWRITE, Mode.IMPORT)


@dataclass(frozen=True, slots=True)
class Reference:
    """A schema reference: ``name`` (Avro type name / Protobuf import) → ``subject`` at ``version``."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """A schema with its global id (shared by every subject version holding the same schema).

    As in Confluent, an id names the schema *with* its ``metadata`` and ``rule_set``: the same
    text with other metadata or rules is another schema with another id. Ids are unique within
    a ``context``; references without a context resolve in the schema's own.
    """

    schema_id: int
    schema_type: SchemaType
    text: str
    references: tuple[Reference, ...] = ()
    metadata: Metadata | None = None
    rule_set: RuleSet | None = None
    context: str = DEFAULT_CONTEXT

    @property
    def ref(self) -> SchemaRef:
        return (self.context, self.schema_id)

    def to_json(self, guid: str | None = None) -> dict[str, object]:
        """``guid`` (when given), ``schemaType`` (always, AVRO too, as Confluent 8's answers),
        ``references``, ``metadata`` and ``ruleSet`` (each omitted when absent), ``schema``."""
        body: dict[str, object] = {}
        if guid is not None:
            body["guid"] = guid
        body["schemaType"] = str(self.schema_type)
        if self.references:
            body["references"] = [r.to_json() for r in self.references]
        if self.metadata is not None:
            body["metadata"] = self.metadata.to_json()
        if self.rule_set is not None:
            body["ruleSet"] = self.rule_set.to_json()
        body["schema"] = self.text
        return body


@dataclass(slots=True)
class SubjectVersion:
    """One version of a subject; ``deleted`` after a soft delete."""

    subject: str
    version: int
    schema_id: int
    deleted: bool = False

    @property
    def ref(self) -> SchemaRef:
        """The key of the schema this version holds (ids are per context)."""
        return (context_of(self.subject), self.schema_id)
