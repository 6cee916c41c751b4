"""The gate's checks of the data contracts (``<family>.rules.yaml``), offline.

For every version's ``ruleSet`` and ``metadata``:

* each rule is one Confluent would accept (name, phase and mode, paired actions only for WRITEREAD and
  UPDOWN) and one Flux can run: a type with an executor (``CEL``, ``CEL_FIELD``, ``JSONATA``), actions
  ``NONE``/``ERROR``/``DLQ``;
* every expression compiles — CEL (guard and body of ``guard ; expr`` separately) with cel-python,
  JSONata with jsonata-python, the engines confluent-kafka's executors use — and a bad one is reported
  with the rule's name and the line and column (CEL) or character position (JSONata);
* a rule that may dead-letter finds its topic (``dlq.topic``, a rule param or a metadata property) and
  that topic is the catalogue's dead-letter topic of the subject's topic;
* field tag paths name fields of the version's schema (or use a ``*`` wildcard);
* across the history: version 1 has no migration rules, and each version's UPGRADE rules turn the
  previous version's example record into a valid record of this version (DOWNGRADE the reverse).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import celpy
from celpy.celparser import CELParseError
from fastavro import parse_schema
from fastavro.schema import expand_schema
from fastavro.validation import ValidationError, validate

from flux.catalogue import load_catalogue
from flux.schema_tools.examples import example_datum
from flux.schema_tools.subjects import SchemaFormat, SchemaVersion, SubjectHistory
from flux.serde.json_datum import from_json_value, to_json_value

__all__ = ["ACTIONS", "RULE_TYPES", "check_contracts", "compile_problem"]

LOG = logging.getLogger(__name__)

RULE_TYPES: Final = frozenset({"CEL", "CEL_FIELD", "JSONATA"})
ACTIONS: Final = frozenset({"NONE", "ERROR", "DLQ"})
NAME_MAX_LENGTH: Final = 64
DLQ_TOPIC: Final = "dlq.topic"

Problem = tuple[int, str]


def _cel_problem(expr: str) -> str | None:
    env = celpy.Environment()
    guard, _, body = expr.partition(";") if ";" in expr else ("", "", expr)
    for part, what in ((guard, "guard"), (body, "expression")):
        if not part.strip():
            if what == "expression":
                return "empty CEL expression"
            continue
        try:
            env.compile(part)
        except CELParseError as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            where = f"line {getattr(exc, 'line', '?')}, column {getattr(exc, 'column', '?')}"
            return f"CEL {what} does not compile at {where}: {first!r}"
    return None


def _jsonata() -> Any:
    # Imported when a JSONata rule is checked: jsonata-python raises the interpreter's recursion limit
    # on import, which no other part of a process importing the gate should inherit.
    import jsonata  # noqa: PLC0415

    return jsonata


def _jsonata_problem(expr: str) -> str | None:
    jsonata = _jsonata()
    try:
        jsonata.Jsonata(expr)
    except Exception as exc:  # jsonata-python raises JException (a RuntimeError) and a few others
        position = getattr(exc, "location", None)
        return f"JSONata does not compile at position {position}: {exc}"
    return None


def compile_problem(rule_type: str, expr: str) -> str | None:
    """Why ``expr`` does not compile as ``rule_type`` (None when it compiles)."""
    if rule_type in ("CEL", "CEL_FIELD"):
        return _cel_problem(expr)
    if rule_type == "JSONATA":
        return _jsonata_problem(expr)
    return f"no executor for rule type {rule_type!r}"


def _name_problem(name: str) -> str | None:
    if not name or len(name) > NAME_MAX_LENGTH:
        return f"rule name {name!r} must have 1 to {NAME_MAX_LENGTH} characters"
    if not (name[0].isalpha() or name[0] == "_") or not all(c.isalnum() or c in "_-" for c in name):
        return f"rule name {name!r}: letters, digits, '_' and '-' only, starting with a letter or '_'"
    return None


def _action_problems(rule: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("onSuccess", "onFailure"):
        value = rule.get(key)
        if not value:
            continue
        parts = value.split(",")
        if len(parts) > 1 and rule["mode"] not in ("WRITEREAD", "UPDOWN"):
            problems.append(f"{key} {value!r}: paired actions only for WRITEREAD and UPDOWN")
        if len(parts) > 2:
            problems.append(f"{key} {value!r}: at most two actions (write,read)")
        unknown = [p for p in parts if p.strip() not in ACTIONS]
        if unknown:
            problems.append(f"{key} {value!r}: unknown action {unknown[0]!r} (known: {sorted(ACTIONS)})")
    return problems


def _uses_dlq(rule: dict[str, Any]) -> bool:
    return any("DLQ" in (rule.get(key) or "").split(",") for key in ("onSuccess", "onFailure"))


def _rule_problems(subject: SubjectHistory, version: SchemaVersion, rule: dict[str, Any]) -> list[str]:
    name = rule["name"]
    problems = [p for p in (_name_problem(name),) if p]
    problems += _action_problems(rule)
    expr = rule.get("expr")
    if rule["type"] not in RULE_TYPES:
        problems.append(f"type {rule['type']!r} has no executor in Flux (known: {sorted(RULE_TYPES)})")
    elif not expr:
        problems.append("has no expr")
    else:
        problem = compile_problem(rule["type"], expr)
        if problem:
            problems.append(problem)
    if _uses_dlq(rule):
        properties = (version.metadata or {}).get("properties", {})
        topic = (rule.get("params") or {}).get(DLQ_TOPIC) or properties.get(DLQ_TOPIC)
        expected = load_catalogue().dead_letter_for(subject.topic)
        if topic != expected:
            problems.append(f"may dead-letter, so {DLQ_TOPIC} must be {expected!r} (found {topic!r})")
    return [f"rule '{name}': {p}" for p in problems]


def _avro_field_names(schema: Any, out: set[str]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _avro_field_names(branch, out)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "record":
            for field in schema["fields"]:
                out.add(f"{schema['name']}.{field['name']}")
                _avro_field_names(field["type"], out)
        elif kind == "array":
            _avro_field_names(schema["items"], out)
        elif kind == "map":
            _avro_field_names(schema["values"], out)
        elif isinstance(kind, dict | list):
            _avro_field_names(kind, out)


def _tag_problems(subject: SubjectHistory, version: SchemaVersion) -> list[str]:
    tags = (version.metadata or {}).get("tags", {})
    if not tags or subject.format is not SchemaFormat.AVRO:
        return []
    names: set[str] = set()
    _avro_field_names(expand_schema(parse_schema(version.avro_json())), names)
    return [
        f"metadata tag path {path!r} names no field of the schema"
        for path in tags
        if "*" not in path and path not in names
    ]


def _migration_problems(subject: SubjectHistory, index: int) -> list[str]:
    """Run version ``index``'s migration rules over the example records of it and its predecessor."""
    version = subject.versions[index]
    rules = (version.rule_set or {}).get("migrationRules", [])
    if index == 0:
        return [f"rule '{r['name']}': version 1 has no previous version to migrate from" for r in rules]
    if subject.format is not SchemaFormat.AVRO or not rules:
        return []
    jsonata = _jsonata()
    previous = subject.versions[index - 1]
    problems = []
    directions = (("UPGRADE", previous, version), ("DOWNGRADE", version, previous))
    for mode, source, target in directions:
        chain = [r for r in rules if r["mode"] in (mode, "UPDOWN") and r["type"] == "JSONATA"]
        if mode == "DOWNGRADE":
            chain.reverse()
        if not chain or any(compile_problem("JSONATA", r.get("expr") or "") for r in chain):
            continue
        target_schema = parse_schema(target.avro_json())
        value = to_json_value(example_datum(source.avro_json()))
        try:
            for rule in chain:
                value = jsonata.Jsonata(rule["expr"]).evaluate(value)
            validate(from_json_value(value, expand_schema(target_schema)), target_schema, raise_errors=True)
        except (ValidationError, Exception) as exc:
            names = ", ".join(r["name"] for r in chain)
            problems.append(
                f"{mode} v{source.number} -> v{target.number} ({names}) does not give a valid "
                f"v{target.number} record from the example v{source.number} record: {exc}"
            )
    return problems


def check_contracts(subject: SubjectHistory) -> list[Problem]:
    """Every problem of ``subject``'s data contracts, as ``(version number, message)``."""
    problems: list[Problem] = []
    for index, version in enumerate(subject.versions):
        rule_set = version.rule_set or {}
        # Domain rules are the same for every version: judged once, with the current version.
        phases = ("migrationRules", "domainRules") if version is subject.latest else ("migrationRules",)
        for phase in phases:
            for rule in rule_set.get(phase, []):
                problems.extend((version.number, m) for m in _rule_problems(subject, version, rule))
        problems.extend((version.number, m) for m in _tag_problems(subject, version))
        problems.extend((version.number, m) for m in _migration_problems(subject, index))
    LOG.debug("%s: %d contract problem(s)", subject.subject, len(problems))
    return problems
