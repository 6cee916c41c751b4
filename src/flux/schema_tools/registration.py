"""Register the whole schema history with a registry (``make register-schemas``).

For every subject, in policy-file order: set the subject's compatibility level, then register each
version oldest first. Re-running is harmless: a version the registry already holds is reported as
``exists`` with its id. Only the standard Confluent REST API is used, so this works against the Flux
registry and Confluent's server alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError

from flux.schema_tools.subjects import SchemaHistory, SubjectHistory

__all__ = ["RegistrationRow", "RegistrationStatus", "register_history", "register_subject"]

LOG = logging.getLogger(__name__)

Progress = Callable[[str], None]


class RegistrationStatus(StrEnum):
    """Outcome of one version's registration."""

    REGISTERED = "registered"
    EXISTS = "exists"
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
        return self.status in (RegistrationStatus.REGISTERED, RegistrationStatus.EXISTS)


def _lookup(client: SchemaRegistryClient, subject: str, schema: Schema) -> tuple[int, int] | None:
    try:
        found = client.lookup_schema(subject, schema)
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404:
            return None
        raise
    return int(found.schema_id or 0), int(found.version or 0)


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
        schema = Schema(version.text, subject.format.value)
        try:
            existing = _lookup(client, subject.subject, schema)
            if existing is not None:
                status, (schema_id, registry_version) = RegistrationStatus.EXISTS, existing
            else:
                client.register_schema(subject.subject, schema)
                registered = _lookup(client, subject.subject, schema)
                if registered is None:
                    raise SchemaRegistryError(404, -1, "registered schema cannot be looked up")
                status, (schema_id, registry_version) = RegistrationStatus.REGISTERED, registered
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
        progress(
            f"{subject.subject} v{version.number}: {status} (id {schema_id}, version {registry_version})"
        )
        rows.append(RegistrationRow(subject.subject, version.number, schema_id, registry_version, status))
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
