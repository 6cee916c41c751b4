"""The schema history on disk: every subject, its versions in order and its compatibility level.

The policy file ``schemas/compatibility.yaml`` names, for each subject (TopicNameStrategy,
``<topic>-value``), a schema family under ``schemas/`` and a compatibility level. A family's
versions are the files ``<family>.v1.<ext>``, ``<family>.v2.<ext>``, ... (``.avsc`` for Avro,
``.proto`` for Protobuf); the highest one is the current contract that code is generated from.
Each version also carries the ``metadata`` and ``ruleSet`` it is registered with, from the family's
``<family>.rules.yaml`` (:mod:`flux.schema_tools.contracts`).

Example:
    >>> from flux.schema_tools.subjects import load_subjects
    >>> history = load_subjects()
    >>> [v.number for v in history.subject("weather.service.event.updated-value").versions]
    [1, 2]
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

from flux.catalogue import TopicKind, load_catalogue
from flux.paths import project_root
from flux.schema_tools.contracts import DataContractError, load_data_contracts

__all__ = [
    "POLICY_FILE",
    "SchemaFormat",
    "SchemaHistory",
    "SchemaVersion",
    "SubjectHistory",
    "SubjectsError",
    "compact_avro_text",
    "load_subjects",
    "parse_subjects",
]

LOG = logging.getLogger(__name__)

POLICY_FILE: Final = Path("schemas") / "compatibility.yaml"
LEVELS: Final = frozenset(
    {
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
        "NONE",
    }
)
_VERSION_RE: Final = re.compile(r"\.v(\d+)$")


class SubjectsError(ValueError):
    """The policy file or the schema files break a layout rule."""


class SchemaFormat(StrEnum):
    """Schema formats Flux uses, spelled as the registry's ``schemaType``."""

    AVRO = "AVRO"
    PROTOBUF = "PROTOBUF"

    @property
    def extension(self) -> str:
        """File extension of this format's schema files."""
        return ".avsc" if self is SchemaFormat.AVRO else ".proto"


def compact_avro_text(text: str) -> str:
    """Return the registered form of an Avro schema file: compact JSON, key order kept."""
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One version of a subject's schema as checked into ``schemas/``."""

    number: int
    path: Path
    format: SchemaFormat
    text: str
    """The exact text registered (compact JSON for Avro, the file verbatim for Protobuf)."""
    metadata: dict[str, Any] | None = None
    """The ``metadata`` registered with this version (from the family's rules file)."""
    rule_set: dict[str, Any] | None = None
    """The ``ruleSet`` registered with this version (from the family's rules file)."""

    @property
    def relative_path(self) -> str:
        """Path relative to the repository root, for messages and docs."""
        try:
            return self.path.relative_to(project_root()).as_posix()
        except ValueError:
            return self.path.as_posix()

    def avro_json(self) -> Any:
        """The parsed JSON of an Avro schema."""
        if self.format is not SchemaFormat.AVRO:
            raise TypeError(f"{self.relative_path} is not an Avro schema")
        return json.loads(self.text)


@dataclass(frozen=True, slots=True)
class SubjectHistory:
    """A subject with all its versions, oldest first."""

    subject: str
    topic: str
    family: str
    format: SchemaFormat
    level: str
    versions: tuple[SchemaVersion, ...]
    rules_path: Path | None = None
    """The family's ``<family>.rules.yaml`` (:mod:`flux.schema_tools.contracts`), if it has one."""

    @property
    def latest(self) -> SchemaVersion:
        """The current version: what code is generated from and producers write."""
        return self.versions[-1]

    @property
    def module_name(self) -> str:
        """Python module name of the generated contract (the family's file stem)."""
        return self.family.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class SchemaHistory:
    """Every subject of the catalogue's schema-carrying topics, in policy-file order."""

    default_level: str
    subjects: tuple[SubjectHistory, ...]

    def subject(self, name: str) -> SubjectHistory:
        """Return the subject called ``name``; raise ``KeyError`` if it is not in the policy file."""
        for entry in self.subjects:
            if entry.subject == name:
                return entry
        raise KeyError(f"subject {name!r} is not in {POLICY_FILE}")

    def for_topic(self, topic: str) -> SubjectHistory:
        """Return the value subject of ``topic``."""
        return self.subject(f"{topic}-value")


def _versions(root: Path, family: str, fmt: SchemaFormat) -> tuple[SchemaVersion, ...]:
    base = root / "schemas" / family
    found: dict[int, Path] = {}
    for path in base.parent.glob(f"{base.name}.v*{fmt.extension}"):
        match = _VERSION_RE.search(path.name[: -len(fmt.extension)])
        if match is None or path.name[: -len(fmt.extension)] != f"{base.name}.v{match.group(1)}":
            continue
        found[int(match.group(1))] = path
    if not found:
        raise SubjectsError(f"schema family {family!r} has no files {family}.v<N>{fmt.extension}")
    numbers = sorted(found)
    if numbers != list(range(1, len(numbers) + 1)):
        raise SubjectsError(f"schema family {family!r} has gaps in its versions: {numbers}")
    versions = []
    for number in numbers:
        raw = found[number].read_text(encoding="utf-8")
        text = compact_avro_text(raw) if fmt is SchemaFormat.AVRO else raw
        versions.append(SchemaVersion(number=number, path=found[number], format=fmt, text=text))
    return tuple(versions)


def parse_subjects(policy_text: str, root: Path) -> SchemaHistory:
    """Parse policy YAML and read every subject's versions from ``root/schemas``.

    Raises:
        SubjectsError: on an unknown level, a malformed rules file, a subject whose topic is not in the catalogue, a
            missing family, or a catalogue topic without a subject.
    """
    raw = yaml.safe_load(policy_text)
    if not isinstance(raw, dict) or not isinstance(raw.get("subjects"), dict):
        raise SubjectsError(f"{POLICY_FILE} must be a mapping with a 'subjects' mapping")
    default_level = str(raw.get("default_level", "BACKWARD"))
    if default_level not in LEVELS:
        raise SubjectsError(f"{POLICY_FILE}: unknown default_level {default_level!r}")
    catalogue = load_catalogue()
    subjects = []
    for subject, entry in raw["subjects"].items():
        if not subject.endswith("-value"):
            raise SubjectsError(f"subject {subject!r} must be '<topic>-value' (TopicNameStrategy)")
        topic = subject[: -len("-value")]
        if topic not in catalogue:
            raise SubjectsError(f"subject {subject!r}: topic {topic!r} is not in schemas/topics.yaml")
        family = str(entry["schema"])
        kind = family.split("/", 1)[0]
        formats = {"avro": SchemaFormat.AVRO, "proto": SchemaFormat.PROTOBUF}
        if kind not in formats:
            raise SubjectsError(f"subject {subject!r}: schema {family!r} must start with avro/ or proto/")
        level = str(entry.get("level", default_level))
        if level not in LEVELS:
            raise SubjectsError(f"subject {subject!r}: unknown level {level!r}")
        fmt = formats[kind]
        versions = _versions(root, family, fmt)
        try:
            path, contracts = load_data_contracts(root, family, [v.number for v in versions])
        except DataContractError as exc:
            raise SubjectsError(str(exc)) from exc
        versions = tuple(
            replace(v, metadata=contracts[v.number].metadata, rule_set=contracts[v.number].rule_set)
            for v in versions
        )
        subjects.append(
            SubjectHistory(
                subject=subject,
                topic=topic,
                family=family,
                format=fmt,
                level=level,
                versions=versions,
                rules_path=path,
            )
        )
    named = {s.topic for s in subjects}
    needed = {t.name for t in catalogue.of_kind(TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM)}
    if missing := sorted(needed - named):
        raise SubjectsError(f"{POLICY_FILE} has no subject for topics: {', '.join(missing)}")
    modules = [s.module_name for s in subjects]
    if len(set(modules)) != len(modules):
        raise SubjectsError(f"{POLICY_FILE}: two families share a file stem: {modules}")
    return SchemaHistory(default_level=default_level, subjects=tuple(subjects))


@cache
def load_subjects(root: Path | None = None) -> SchemaHistory:
    """Load the policy file and schema history of the checkout (cached)."""
    base = root or project_root()
    LOG.debug("loading schema history from %s", base)
    return parse_subjects((base / POLICY_FILE).read_text(encoding="utf-8"), base)
