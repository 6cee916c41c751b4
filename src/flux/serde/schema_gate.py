"""The offline compatibility gate (``make check-schemas``): no registry, same rules as the registry.

Every version of every subject is parsed and validated, then checked against its predecessors at
the subject's level (all predecessors for ``*_TRANSITIVE`` levels) with
:func:`flux.registry.compatibility.check_compatibility` — the checker the Flux registry itself runs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from fastavro import parse_schema as fastavro_parse

from flux.registry.compatibility import InvalidSchemaError, check_compatibility, parse_schema
from flux.serde.subjects import SchemaFormat, SchemaHistory, SubjectHistory

__all__ = ["GateProblem", "check_history", "check_subject"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GateProblem:
    """One reason the gate fails: which subject and version, and the checker's message."""

    subject: str
    version: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject} v{self.version} ({self.path}): {self.message}"


def _validate(subject: SubjectHistory, number: int) -> list[GateProblem]:
    version = subject.versions[number - 1]
    problems = []
    try:
        parse_schema(subject.format.value, version.text)
    except InvalidSchemaError as exc:
        problems.append(GateProblem(subject.subject, number, version.relative_path, f"invalid schema: {exc}"))
    if subject.format is SchemaFormat.AVRO and not problems:
        try:
            fastavro_parse(json.loads(version.text))
        except Exception as exc:  # fastavro raises several unrelated types for bad schemas
            message = f"fastavro rejects the schema: {exc}"
            problems.append(GateProblem(subject.subject, number, version.relative_path, message))
    return problems


def check_subject(subject: SubjectHistory) -> list[GateProblem]:
    """Validate each version of ``subject`` and check it against its predecessors."""
    problems: list[GateProblem] = []
    for version in subject.versions:
        problems.extend(_validate(subject, version.number))
    if problems:
        return problems
    for index, version in enumerate(subject.versions[1:], start=1):
        previous = [v.text for v in subject.versions[:index]]
        for message in check_compatibility(subject.format.value, version.text, previous, subject.level):
            problems.append(
                GateProblem(
                    subject.subject, version.number, version.relative_path, f"{subject.level}: {message}"
                )
            )
    return problems


def check_history(history: SchemaHistory) -> list[GateProblem]:
    """Run the gate over every subject; an empty list means the history is valid and compatible."""
    problems: list[GateProblem] = []
    for subject in history.subjects:
        found = check_subject(subject)
        LOG.debug("%s: %d version(s), %d problem(s)", subject.subject, len(subject.versions), len(found))
        problems.extend(found)
    return problems
