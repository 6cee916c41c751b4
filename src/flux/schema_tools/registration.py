"""Register the whole schema history with a registry (``make register-schemas``).

For every subject, in policy-file order: set the subject's compatibility level, then register each
version oldest first, with the ``metadata`` and ``ruleSet`` of its data contract (the family's
``<family>.rules.yaml``). Re-running is harmless: a version the registry already holds is reported
as ``exists`` with its id. Only the standard Confluent REST API is used, so this works against the
Flux registry and Confluent's server alike.

Two registries behave differently with contracts, and both are reported:

* a registry that **dropped the rule set** (Confluent's Community edition strips rule sets on
  registration) still stores the version: the row says ``rules dropped`` and the progress line says
  that Flux's own processes enforce their generated rules anyway, while other clients reading rules
  from that registry will not;
* a version whose text is already registered **without its contracts** (a registry filled before
  the rules files existed) is left alone unless it is the subject's current version, which is
  registered again with them (a new registry version, as Confluent updates rules); re-registering an
  older one would make it the latest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError

from flux.schema_tools.subjects import SchemaHistory, SchemaVersion, SubjectHistory

__all__ = ["RegistrationRow", "RegistrationStatus", "register_history", "register_subject"]

LOG = logging.getLogger(__name__)

Progress = Callable[[str], None]


class RegistrationStatus(StrEnum):
    """Outcome of one version's registration."""

    REGISTERED = "registered"
    EXISTS = "exists"
    RULES_DROPPED = "rules dropped"
    """Registered (or found), but the registry keeps no rule set for it."""
    INCOMPATIBLE = "incompatible"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class RegistrationRow:
    """One line of the final table."""

    subject: str
    version: int
    schema_id: int | None
    registry_version: int | None
    status: RegistrationStatus
    message: str = ""

    @property
    def ok(self) -> bool:
        """True unless the registry refused the version or could not be asked."""
        return self.status in (
            RegistrationStatus.REGISTERED,
            RegistrationStatus.EXISTS,
            RegistrationStatus.RULES_DROPPED,
        )


def _lookup(client: SchemaRegistryClient, subject: str, schema: Schema) -> tuple[int, int] | None:
    try:
        found = client.lookup_schema(subject, schema)
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404:
            return None
        raise
    return int(found.schema_id or 0), int(found.version or 0)


DROPPED_NOTE = (
    "the registry dropped the ruleSet (Confluent's Community edition strips rule sets): Flux's "
    "services enforce their generated rules anyway; clients taking rules from this registry will not"
)


def _schema(subject: SubjectHistory, version: SchemaVersion) -> Schema:
    return Schema.from_dict(
        {
            "schema": version.text,
            "schemaType": subject.format.value,
            **{k: v for k, v in (("metadata", version.metadata), ("ruleSet", version.rule_set)) if v},
        }
    )


def _rules_kept(client: SchemaRegistryClient, subject: str, registry_version: int, wanted: Schema) -> bool:
    """Whether the registry returns the rule set it was given for that version."""
    if wanted.rule_set is None:
        return True
    found = client.get_version(subject, registry_version)
    return found.schema is not None and found.schema.rule_set is not None


def _register_version(
    client: SchemaRegistryClient, subject: SubjectHistory, version: SchemaVersion
) -> tuple[RegistrationStatus, int, int, str]:
    """Register (or find) one version with its contracts: status, id, registry version, note."""
    schema = _schema(subject, version)
    existing = _lookup(client, subject.subject, schema)
    note = ""
    if existing is not None:
        status, (schema_id, registry_version) = RegistrationStatus.EXISTS, existing
    else:
        plain = Schema(version.text, subject.format.value)
        bare = _lookup(client, subject.subject, plain) if schema.metadata or schema.rule_set else None
        if bare is not None and version is not subject.latest:
            note = f"registered before its contracts; registry version {bare[1]} keeps none"
            return RegistrationStatus.EXISTS, bare[0], bare[1], note
        client.register_schema(subject.subject, schema)
        registered = _lookup(client, subject.subject, schema) or _lookup(client, subject.subject, plain)
        if registered is None:
            raise SchemaRegistryError(404, -1, "registered schema cannot be looked up")
        status, (schema_id, registry_version) = RegistrationStatus.REGISTERED, registered
    if not _rules_kept(client, subject.subject, registry_version, schema):
        status, note = RegistrationStatus.RULES_DROPPED, DROPPED_NOTE
    return status, schema_id, registry_version, note


def register_subject(
    client: SchemaRegistryClient, subject: SubjectHistory, progress: Progress
) -> list[RegistrationRow]:
    """Set ``subject``'s level and register its versions in order; stop at the first refusal."""
    rows: list[RegistrationRow] = []
    try:
        client.set_compatibility(subject.subject, subject.level)
        progress(f"{subject.subject}: compatibility {subject.level}")
    except SchemaRegistryError as exc:
        message = f"cannot set compatibility {subject.level}: {exc.error_message}"
        progress(f"{subject.subject}: {message}")
        return [RegistrationRow(subject.subject, 0, None, None, RegistrationStatus.FAILED, message)]
    for position, version in enumerate(subject.versions):
        try:
            status, schema_id, registry_version, note = _register_version(client, subject, version)
        except SchemaRegistryError as exc:
            incompatible = exc.http_status_code == 409
            status = RegistrationStatus.INCOMPATIBLE if incompatible else RegistrationStatus.FAILED
            message = f"HTTP {exc.http_status_code} (error {exc.error_code}): {exc.error_message}"
            progress(f"{subject.subject} v{version.number} ({version.relative_path}): {status}: {message}")
            rows.append(RegistrationRow(subject.subject, version.number, None, None, status, message))
            rows.extend(
                RegistrationRow(subject.subject, later.number, None, None, RegistrationStatus.SKIPPED)
                for later in subject.versions[position + 1 :]
            )
            return rows
        rules = len((version.rule_set or {}).get("domainRules", [])) + len(
            (version.rule_set or {}).get("migrationRules", [])
        )
        progress(
            f"{subject.subject} v{version.number}: {status} (id {schema_id}, version {registry_version}, "
            f"{rules} rule(s))" + (f": {note}" if note else "")
        )
        rows.append(
            RegistrationRow(subject.subject, version.number, schema_id, registry_version, status, note)
        )
    return rows


def register_history(
    client: SchemaRegistryClient, history: SchemaHistory, progress: Progress | None = None
) -> list[RegistrationRow]:
    """Register every subject of ``history``; return one row per version (check ``row.ok``)."""
    report = progress or (lambda line: LOG.info("%s", line))
    rows: list[RegistrationRow] = []
    for subject in history.subjects:
        rows.extend(register_subject(client, subject, report))
    return rows
