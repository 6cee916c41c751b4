"""Registry values: references, stored schemas (with their data contracts), subject versions, modes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flux.registry.core.metadata import Metadata
from flux.registry.core.rules import RuleSet
from flux.schemas.types import SchemaType

__all__ = ["Mode", "Reference", "StoredSchema", "SubjectVersion"]


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
    text with other metadata or rules is another schema with another id.
    """

    schema_id: int
    schema_type: SchemaType
    text: str
    references: tuple[Reference, ...] = ()
    metadata: Metadata | None = None
    rule_set: RuleSet | None = None

    def to_json(self) -> dict[str, object]:
        """``schema`` plus ``schemaType`` (omitted for Avro), ``references``, ``metadata`` and
        ``ruleSet`` (each omitted when absent), as Confluent."""
        body: dict[str, object] = {}
        if self.schema_type is not SchemaType.AVRO:
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
