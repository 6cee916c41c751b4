"""The offline compatibility gate (``make check-schemas``): no registry, same rules as the registry.

Every version of every subject is parsed and validated, then checked against its predecessors at
the subject's level (all predecessors for ``*_TRANSITIVE`` levels) with
:func:`flux.schemas.compatibility.check_compatibility` — the checker the Flux registry itself runs.
The data contracts beside the schemas (``<family>.rules.yaml``) are checked too: every rule valid,
every CEL and JSONata expression compiled, migrations run over example records
(:mod:`flux.schema_tools.rule_checks`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Final

from fastavro import parse_schema as fastavro_parse

from flux.paths import project_root
from flux.schema_tools.rule_checks import check_contracts
from flux.schema_tools.subjects import SchemaFormat, SchemaHistory, SubjectHistory
from flux.schemas.compatibility import InvalidSchemaError, check_compatibility, parse_schema

__all__ = ["GateProblem", "check_history", "check_subject", "field_path"]

LOG = logging.getLogger(__name__)

_LOCATION: Final = re.compile(r" at (/[^ ,]*(?:, /[^ ,]*)*)")
_PREVIOUS: Final = re.compile(r"previous schema #(\d+) reading new schema")
_NEW_READING: Final = re.compile(r"new schema reading previous schema #(\d+)")


def field_path(location: str, schema: Any) -> str | None:
    """Translate a checker location such as ``/fields/3/type/1/fields/0`` into ``data.city``."""
    names: list[str] = []
    node = schema
    tokens = [t for t in location.split("/") if t]
    index = 0
    while index < len(tokens):
        step = tokens[index]
        try:
            if step == "fields" and index + 1 < len(tokens):
                node = node["fields"][int(tokens[index + 1])]
                names.append(str(node["name"]))
                index += 2
                continue
            if step.isdigit() and isinstance(node, list):
                node = node[int(step)]
            elif isinstance(node, dict) and step in node:
                node = node[step]
            else:
                break
        except (KeyError, IndexError, TypeError, ValueError):
            break
        index += 1
    return ".".join(names) or None


def _records_in(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [r for branch in node for r in _records_in(branch)]
    if isinstance(node, dict):
        if node.get("type") == "record":
            return [node]
        if node.get("type") == "array":
            return _records_in(node["items"])
        if node.get("type") == "map":
            return _records_in(node["values"])
    return []


def _field_type(schema: Any, names: list[str]) -> Any:
    node = schema
    for name in names:
        fields = [f for record in _records_in(node) for f in record["fields"] if f["name"] == name]
        if not fields:
            return None
        node = fields[0]["type"]
    return node


def _inner_reasons(name: str, reader: Any, writer: Any) -> list[str]:
    """Why a record inside a union no longer matches: re-check the two record definitions alone."""
    names = name.split(".")
    reader_records = {r["name"]: r for r in _records_in(_field_type(reader, names))}
    reasons = []
    for record in _records_in(_field_type(writer, names)):
        other = reader_records.get(record["name"])
        if other is None:
            continue
        try:
            inner = check_compatibility("AVRO", json.dumps(other), [json.dumps(record)], "BACKWARD")
        except InvalidSchemaError:  # the record uses named types defined elsewhere in the schema
            continue
        for message in inner:
            location = _LOCATION.search(message)
            inner_name = field_path(location.group(1).split(", ")[-1], other) if location else None
            rule = message.split(" at ", 1)[0]
            reasons.append(f"{name}.{inner_name}: {rule}" if inner_name else f"{name}: {rule}")
    return reasons


def _name_field(message: str, new_json: Any, previous_json: list[Any]) -> str:
    """Prefix a checker message with the field it is about (and, for union branches, the inner field)."""
    location = _LOCATION.search(message)
    if location is None:
        return message
    reader, writer = new_json, None
    previous = _PREVIOUS.search(message)
    new_reading = _NEW_READING.search(message)
    if previous is not None and int(previous.group(1)) <= len(previous_json):
        reader, writer = previous_json[int(previous.group(1)) - 1], new_json
    elif new_reading is not None and int(new_reading.group(1)) <= len(previous_json):
        writer = previous_json[int(new_reading.group(1)) - 1]
    name = field_path(location.group(1).split(", ")[-1], reader)
    if not name:
        return message
    if "MISSING_UNION_BRANCH" in message and writer is not None:
        reasons = _inner_reasons(name, reader, writer)
        if reasons:
            return f"field '{name}': {message}; because: {'; '.join(reasons)}"
    return f"field '{name}': {message}"


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


def _contract_problems(subject: SubjectHistory) -> list[GateProblem]:
    path = ""
    if subject.rules_path is not None:
        root = project_root()
        rules = subject.rules_path
        path = (rules.relative_to(root) if rules.is_relative_to(root) else rules).as_posix()
    return [
        GateProblem(subject.subject, number, path, message) for number, message in check_contracts(subject)
    ]


def check_subject(subject: SubjectHistory) -> list[GateProblem]:
    """Validate each version of ``subject`` and its data contract, and check it against its predecessors."""
    problems: list[GateProblem] = []
    for version in subject.versions:
        problems.extend(_validate(subject, version.number))
    if problems:
        return problems
    problems.extend(_contract_problems(subject))
    for index, version in enumerate(subject.versions[1:], start=1):
        previous = [v.text for v in subject.versions[:index]]
        messages = check_compatibility(subject.format.value, version.text, previous, subject.level)
        if messages and subject.format is SchemaFormat.AVRO:
            previous_json = [json.loads(text) for text in previous]
            messages = [_name_field(m, json.loads(version.text), previous_json) for m in messages]
        for message in messages:
            problems.append(GateProblem(subject.subject, version.number, version.relative_path, message))
    return problems


def check_history(history: SchemaHistory) -> list[GateProblem]:
    """Run the gate over every subject; an empty list means the history is valid and compatible."""
    problems: list[GateProblem] = []
    for subject in history.subjects:
        found = check_subject(subject)
        LOG.debug("%s: %d version(s), %d problem(s)", subject.subject, len(subject.versions), len(found))
        problems.extend(found)
    return problems
