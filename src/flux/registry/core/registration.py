"""Registration (``POST /subjects/{subject}/versions``), in Confluent's order:

1. unless the config has data-contract defaults or overrides, a schema the subject already holds
   answers with its id (:meth:`Candidates.match_in_subject`);
2. outside IMPORT mode the metadata and rule set are completed
   (:func:`~flux.registry.core.data_contracts.complete_contracts`);
3. the same schema (with the same contracts) under the subject, or a live version it can look
   up, answers with that id; the same schema elsewhere lends its id;
4. outside IMPORT mode the schema must be compatible, and a version named in the request must be
   the next one (a compare-and-set: 42201 otherwise);
5. the new version is appended to the log.

Outside IMPORT mode an empty schema takes the previous version's schema (type, text, references),
as Confluent lets a registration change only the data contracts. The answer is ``{"id": N}``
unless the registration completed the schema (contracts set, or the schema taken from the
previous version): then it is the version as stored — ``id``, ``version``, ``guid``,
``schemaType``, ``references``, ``metadata``, ``ruleSet``, ``schema`` — as Confluent 8 answers.
An IMPORT of an (id, version) already there answers that version the same way. A registration
with an explicit id needs IMPORT mode, one without needs READWRITE (42205 otherwise).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flux.registry.core.candidates import Candidate, Candidates
from flux.registry.core.compatibility import CompatibilityChecks
from flux.registry.core.config import ConfigOperations
from flux.registry.core.context import RegistryContext
from flux.registry.core.data_contracts import complete_contracts
from flux.registry.core.errors import ErrorCode, RegistryError
from flux.registry.core.model import Mode, StoredSchema, SubjectVersion
from flux.registry.core.qualified import normalize
from flux.registry.core.records import SchemaRecord
from flux.registry.core.requests import LATEST, MAX_VERSION, SchemaRequest, check_contract_sizes
from flux.schemas.protobuf_schema import ParsedProtobuf, proto_text_of

__all__ = ["Registration"]

LOG = logging.getLogger(__name__)


class Registration:
    """Registers schemas under subjects."""

    def __init__(
        self,
        context: RegistryContext,
        config: ConfigOperations,
        candidates: Candidates,
        compatibility: CompatibilityChecks,
    ) -> None:
        self._ctx = context
        self._state = context.state
        self._config = config
        self._candidates = candidates
        self._compatibility = compatibility

    async def register(self, subject: str, request: SchemaRequest) -> dict[str, object]:
        """Register ``request`` under ``subject`` (or its alias); the answer is Confluent 8's
        ``RegisterSchemaResponse`` (module docstring)."""
        subject = normalize(self._config.resolve_alias(subject))
        await self._ctx.indexed()
        async with self._ctx.write_lock:
            scope = self._config.config_in_scope(subject)
            if not request.empty and not scope.has_defaults_or_overrides:
                candidate = self._candidates.prepare(request, subject)
                known = self._already_registered(subject, candidate)
                if known is not None:
                    if request.version not in (None, LATEST):
                        return self._answer(known, full=True)  # an (id, version) imported again
                    return {"id": known.schema_id}
            mode = self._config.require_registrable(subject, explicit_id=request.schema_id is not None)
            every = self._state.versions(subject, include_deleted=True)
            live = [v for v in every if not v.deleted]
            next_version = every[-1].version + 1 if every else 1
            previous = self._state.schemas[live[-1].ref] if live else None
            modified = False
            if request.empty:
                if mode is Mode.IMPORT or previous is None:
                    raise RegistryError.invalid_schema("Empty schema")
                request = replace(
                    request,
                    text=previous.text,
                    schema_type=previous.schema_type,
                    references=previous.references,
                )
                modified = True
            candidate = self._candidates.prepare(request, subject)
            if mode is not Mode.IMPORT:
                metadata, rule_set = complete_contracts(
                    scope,
                    request.metadata,
                    request.rule_set,
                    previous,
                    new_version=next_version,
                    version_given=request.version is not None,
                )
                check_contract_sizes(metadata, rule_set)
                candidate = candidate.with_contracts(metadata, rule_set)
                modified = modified or metadata is not None or rule_set is not None
            lent_id = self._candidates.find_id(candidate)
            if lent_id is not None and request.schema_id not in (None, lent_id):
                lent_id = None
            if request.version is None:
                found = self._registered_version(candidate, lent_id, live)
                if found is not None:
                    return self._answer(found, full=modified)
            if mode is not Mode.IMPORT:
                self._require_compatible(subject, candidate, live)
            version = self._choose_version(subject, request, mode, next_version)
            schema_id = self._choose_id(request, lent_id, candidate)
            stored = candidate.stored(schema_id, self._text_to_store(candidate))
            await self._ctx.log.append([SchemaRecord(subject, version, stored)])
            self._state.remember_parsed(stored.ref, candidate.parsed)
            LOG.info(
                "registered schema", extra={"subject": subject, "version": version, "schema_id": schema_id}
            )
            return self._answer(self._state.subjects[subject][version], full=modified)

    def _answer(self, entry: SubjectVersion, *, full: bool) -> dict[str, object]:
        """``{"id": N}``, or — when the registration completed the schema (data contracts, an
        empty schema taken from the previous version) — the version as registered, without its
        subject, as Confluent answers a registration it had to modify."""
        if not full:
            return {"id": entry.schema_id}
        stored = self._state.schemas[entry.ref]
        body: dict[str, object] = {"id": entry.schema_id, "version": entry.version}
        body.update(stored.to_json(self._state.guid_of(entry.ref)))
        return body

    def _already_registered(self, subject: str, candidate: Candidate) -> SubjectVersion | None:
        """Confluent's lookup before registering: the version when the subject already holds this."""
        request = candidate.request
        found = self._candidates.match_in_subject(
            subject, candidate, deleted=False, latest_only=request.version == LATEST
        )
        if found is None:
            return None
        if request.version in (None, LATEST):
            return found if request.schema_id in (None, found.schema_id) else None
        if request.schema_id != found.schema_id:
            return None
        if found.version == request.version:
            return found
        # imported twice under different versions: the asked-for version may hold the same id
        asked = self._state.subjects.get(subject, {}).get(request.version)
        return asked if asked is not None and asked.schema_id == found.schema_id else None

    def _registered_version(
        self, candidate: Candidate, same_id: int | None, live: list[SubjectVersion]
    ) -> SubjectVersion | None:
        if same_id is not None:
            holding = [v for v in live if v.schema_id == same_id]
            if holding:
                return holding[-1]
        wanted = candidate.request.schema_id
        for entry in reversed(live):
            if wanted in (None, entry.schema_id) and self._candidates.can_look_up(candidate, entry):
                return entry
        return None

    def _require_compatible(self, subject: str, candidate: Candidate, live: list[SubjectVersion]) -> None:
        level = self._config.effective_compatibility(subject)
        problems = self._compatibility.problems(subject, candidate.parsed, candidate.metadata, live, level)
        if problems:
            raise RegistryError(
                409,
                ErrorCode.INCOMPATIBLE_SCHEMA,
                f'Schema being registered is incompatible with an earlier schema for subject "{subject}", '
                f"details: {problems}",
            )

    def _text_to_store(self, candidate: Candidate) -> str:
        """The text as given, except Protobuf descriptors, stored as ``.proto`` text like Confluent."""
        parsed = candidate.parsed.parsed
        if isinstance(parsed, ParsedProtobuf) and parsed.from_descriptor:
            refs = self._state.resolve_references(candidate.request.references, candidate.context)
            text = proto_text_of(parsed, refs)
            if text is not None:
                return text
        return candidate.request.text

    def _choose_id(self, request: SchemaRequest, lent_id: int | None, candidate: Candidate) -> int:
        if request.schema_id is None:
            return lent_id if lent_id is not None else self._state.max_id_in(candidate.context) + 1
        if request.schema_id < 1:
            raise RegistryError.unprocessable(f"Invalid schema id {request.schema_id}")
        taken = self._state.schemas.get((candidate.context, request.schema_id))
        if taken is not None and not self._same(taken, candidate):
            raise RegistryError.not_permitted(
                f"Overwrite new schema with id {request.schema_id} is not permitted."
            )
        return request.schema_id

    def _same(self, taken: StoredSchema, candidate: Candidate) -> bool:
        r = candidate.request
        return (taken.schema_type, taken.references, taken.metadata, taken.rule_set) == (
            r.schema_type,
            r.references,
            r.metadata,
            r.rule_set,
        ) and self._state.identity_of(taken.ref) == candidate.parsed.identity

    def _choose_version(self, subject: str, request: SchemaRequest, mode: Mode, next_version: int) -> int:
        if request.version is None or request.version == LATEST:
            return next_version
        if mode is not Mode.IMPORT:
            if request.version != next_version:
                raise RegistryError.invalid_schema("Version is not one more than previous version")
            return next_version
        if request.version in self._state.subjects.get(subject, {}):
            raise RegistryError.not_permitted(
                f"Version {request.version} already exists in subject {subject}"
            )
        if not 1 <= request.version <= MAX_VERSION:
            raise RegistryError.invalid_version(str(request.version))
        return request.version
