"""A client's schema made ready to compare with stored versions, and Confluent's rules for when
a request *is* a stored version (lookups and registrations share them).

Two checks, as in Confluent:

* **same schema**: same schema (Flux identity), references, metadata and rule set — the key a
  global id stands for;
* **can look up**: the same, except that a request without ``confluent:version`` matches a
  version whose metadata differs only by it, and a request with ``confluent:version: N`` matches
  version N of a subject whose metadata lacks it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flux.registry.core.context import RegistryContext
from flux.registry.core.errors import RegistryError
from flux.registry.core.metadata import Metadata, confluent_version_number, without_confluent_version
from flux.registry.core.model import Reference, StoredSchema, SubjectVersion
from flux.registry.core.qualified import DEFAULT_CONTEXT, context_of, qualify_in
from flux.registry.core.requests import LATEST, SchemaRequest, invalid_schema_message
from flux.registry.core.rules import RuleSet
from flux.schemas.compatibility import InvalidSchemaError, ParsedSchema, parse_schema

__all__ = ["Candidate", "Candidates"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A request with references pinned, its parsed form, and the data contracts it carries."""

    request: SchemaRequest
    parsed: ParsedSchema
    context: str = DEFAULT_CONTEXT

    @property
    def metadata(self) -> Metadata | None:
        return self.request.metadata

    @property
    def rule_set(self) -> RuleSet | None:
        return self.request.rule_set

    def stored(self, schema_id: int = 0, text: str | None = None) -> StoredSchema:
        r = self.request
        return StoredSchema(
            schema_id,
            r.schema_type,
            r.text if text is None else text,
            r.references,
            r.metadata,
            r.rule_set,
            self.context,
        )

    def with_contracts(self, metadata: Metadata | None, rule_set: RuleSet | None) -> Candidate:
        return replace(self, request=replace(self.request, metadata=metadata, rule_set=rule_set))


class Candidates:
    """Prepares requests against the state and finds the versions they match."""

    def __init__(self, context: RegistryContext) -> None:
        self._state = context.state

    def prepare(self, request: SchemaRequest, subject: str | None = None) -> Candidate:
        """Pin ``latest`` references and parse (references resolve in ``subject``'s context);
        42201 when the schema is invalid, with Confluent's message shape."""
        if request.empty:
            raise RegistryError.invalid_schema("Empty schema")
        context = context_of(subject)
        pinned = self._pin_references(request, context)
        return Candidate(pinned, self._parse(pinned, subject, context), context)

    def _pin_references(self, request: SchemaRequest, context: str) -> SchemaRequest:
        if all(r.version != LATEST for r in request.references):
            return request
        pinned: list[Reference] = []
        for ref in request.references:
            if ref.version == LATEST:
                live = self._state.versions(qualify_in(ref.subject, context))
                if not live:
                    raise RegistryError.invalid_schema(
                        f"Invalid schema: reference subject {ref.subject!r} not found"
                    )
                pinned.append(Reference(ref.name, ref.subject, live[-1].version))
            else:
                pinned.append(ref)
        return replace(request, references=tuple(pinned))

    def _parse(self, request: SchemaRequest, subject: str | None, context: str) -> ParsedSchema:
        try:
            resolved = self._state.resolve_references(request.references, context)
        except LookupError as exc:
            raise RegistryError.invalid_schema(
                invalid_schema_message(request, subject, f"cannot resolve reference {exc}")
            ) from None
        try:
            return parse_schema(request.schema_type, request.text, resolved)
        except InvalidSchemaError as exc:
            raise RegistryError.invalid_schema(invalid_schema_message(request, subject, str(exc))) from None

    def find_id(self, candidate: Candidate) -> int | None:
        """The global id of the same schema (with the same metadata and rules), if registered."""
        return self._state.find_schema_id(candidate.stored(), candidate.parsed.identity)

    def can_look_up(self, candidate: Candidate, entry: SubjectVersion) -> bool:
        """Confluent's ``canLookup``: is ``candidate`` the version ``entry`` (module docstring)?"""
        stored = self._state.schemas[entry.ref]
        if (stored.schema_type, stored.references, stored.rule_set) != (
            candidate.request.schema_type,
            candidate.request.references,
            candidate.rule_set,
        ) or not self._same_metadata(candidate.metadata, stored.metadata, entry.version):
            return False
        return self._state.identity_of(entry.ref) == candidate.parsed.identity

    @staticmethod
    def _same_metadata(mine: Metadata | None, theirs: Metadata | None, version: int) -> bool:
        my_version, their_version = confluent_version_number(mine), confluent_version_number(theirs)
        if my_version is None and their_version is not None:
            return (mine or Metadata()) == without_confluent_version(theirs)
        if my_version is not None and their_version is None:
            return my_version == version and without_confluent_version(mine) == (theirs or Metadata())
        return mine == theirs

    def match_in_subject(
        self, subject: str, candidate: Candidate, *, deleted: bool, latest_only: bool = False
    ) -> SubjectVersion | None:
        """The version of ``subject`` the candidate is: the same schema (its latest version with
        that id), else the newest version :meth:`can_look_up` accepts; with ``latest_only``
        (a registration naming version -1) only the latest live version is considered."""
        if latest_only:
            live = self._state.versions(subject)
            return live[-1] if live and self.can_look_up(candidate, live[-1]) else None
        versions = self._state.versions(subject, include_deleted=deleted)
        schema_id = self.find_id(candidate)
        if schema_id is not None:
            same = [v for v in versions if v.schema_id == schema_id]
            if same:
                return same[-1]
        return next((v for v in reversed(versions) if self.can_look_up(candidate, v)), None)
