"""The data contract of one generated contract class, ready to run: its versions' rule sets.

Built from the generated :mod:`flux.contracts.generated.data_contracts` (from the rules files beside
the schemas), never from what a registry returns, so a Flux process enforces its own contracts even
where the registry dropped the rule sets (Confluent's Community edition does). Each version becomes
a confluent-kafka ``Schema`` (text, ``metadata``, ``ruleSet``), which is what the executors are given
as the rule's target, exactly as in confluent-kafka's serializers.

Example:
    >>> from flux.contracts import WeatherUpdated
    >>> rules = ContractRules.of(WeatherUpdated)
    >>> rules.latest, rules.has_migrations(1, 2)
    (2, True)
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.common.avro import get_inline_tags
from confluent_kafka.schema_registry.common.protobuf import transform as protobuf_transform
from confluent_kafka.schema_registry.schema_registry_client import RuleMode
from confluent_kafka.schema_registry.serde import DLQ_RULE_NAME_HEADER
from fastavro import parse_schema
from fastavro.schema import expand_schema
from fastavro.types import Schema as ParsedSchema

from flux.contracts.generated.data_contracts import DATA_CONTRACTS, VERSION_TEXTS
from flux.serde.contract_schema import contract_schema
from flux.serde.field_walk import field_tags, prune, walk
from flux.serde.rule_runner import FieldTransformer, Headers, RuleRunner
from flux.serde.write_memo import WriteMemo, write_memo_for

__all__ = ["ContractRules"]

LOG = logging.getLogger(__name__)


def _protobuf_transformer(descriptor: Any) -> FieldTransformer:
    def transformer(ctx: Any, field_transform: Any, message: Any) -> Any:
        return protobuf_transform(ctx, descriptor, message, field_transform)

    return transformer


class _AvroVersion:
    """One Avro version's parsed schema, its expanded form, inline tags and field transformer.

    The transformer walks, for a rule with tags, the schema pruned to the fields those tags can
    reach, with confluent-kafka's field contexts and Flux's union resolution
    (:mod:`flux.serde.field_walk`).
    """

    __slots__ = ("_pruned", "expanded", "inline_tags", "parsed", "tag_patterns", "transformer")

    def __init__(self, text: str, tag_patterns: dict[str, Any] | None) -> None:
        self.parsed: ParsedSchema = parse_schema(json.loads(text))
        self.expanded = expand_schema(self.parsed)
        self.inline_tags = get_inline_tags(self.parsed)
        self.tag_patterns = tag_patterns
        self._pruned: dict[frozenset[str], Any] = {}

        def transformer(ctx: Any, field_transform: Any, message: Any) -> Any:
            return walk(ctx, self.walked(ctx.rule.tags), message, field_transform)

        self.transformer: FieldTransformer = transformer

    def walked(self, rule_tags: Any) -> Any:
        """The schema the walk of a rule with ``rule_tags`` needs (all of it for a rule without)."""
        if not rule_tags:
            return self.expanded
        wanted_tags = frozenset(rule_tags)
        schema = self._pruned.get(wanted_tags)
        if schema is None:

            def wanted(full_name: str) -> bool:
                tags = set(self.inline_tags.get(full_name, ())) | field_tags(self.tag_patterns, full_name)
                return bool(tags & wanted_tags)

            schema = self._pruned[wanted_tags] = prune(cast("dict[str, Any]", self.expanded), wanted)
        return schema


def _replayed(headers: Headers | None) -> bool:
    """Whether the record carries ``__rule.name``: it is replayed past a rule, which must not run."""
    return bool(headers) and any(key == DLQ_RULE_NAME_HEADER for key, _ in headers or ())


class ContractRules:
    """The rule sets of one contract's subject, by version, and how to run them.

    Args:
        contract: a generated Avro class or ``_pb2`` message class.
        runner: the serde's rule runner (its executors and verdict memo are shared).
    """

    __slots__ = (
        "_avro",
        "_texts",
        "_write_memo",
        "contract",
        "latest",
        "runner",
        "schema_type",
        "schemas",
        "subject",
        "topic",
    )

    def __init__(self, contract: type, runner: RuleRunner | None = None) -> None:
        coordinates = contract_schema(contract)
        self.contract = contract
        self.subject = coordinates.subject
        self.topic = coordinates.topic
        self.schema_type = coordinates.schema_type
        self.runner = runner or RuleRunner()
        versions = DATA_CONTRACTS.get(self.subject, {})
        self.latest = max(versions) if versions else 1
        self._texts = {**VERSION_TEXTS.get(self.subject, {}), self.latest: coordinates.text}
        self.schemas: dict[int, Schema] = {
            number: Schema.from_dict(
                {
                    "schema": self._texts.get(number, coordinates.text),
                    "schemaType": self.schema_type,
                    **{k: v for k, v in (("metadata", c["metadata"]), ("ruleSet", c["ruleSet"])) if v},
                }
            )
            for number, c in versions.items()
        } or {1: Schema(coordinates.text, self.schema_type)}
        self._avro: dict[int, _AvroVersion] = {}
        self._write_memo: WriteMemo | bool | None = False  # False: not decided yet

    @classmethod
    def of(cls, contract: type, runner: RuleRunner | None = None) -> ContractRules:
        """The rules of ``contract`` (a new object; serdes cache their own)."""
        return cls(contract, runner)

    @property
    def enforces(self) -> bool:
        """True when any version has rules (else the serde skips this class entirely)."""
        return any(s.rule_set is not None for s in self.schemas.values())

    def schema(self, version: int | None = None) -> Schema:
        """The confluent-kafka ``Schema`` (text, metadata, rule set) of ``version`` (default: latest)."""
        return self.schemas[self.latest if version is None else version]

    def avro(self, version: int) -> _AvroVersion:
        """The parsed Avro schema of ``version`` (KeyError for a version whose text is not generated)."""
        found = self._avro.get(version)
        if found is None:
            metadata = self.schemas[version].metadata if version in self.schemas else None
            tags = metadata.tags.tags if metadata is not None and metadata.tags is not None else None
            found = self._avro[version] = _AvroVersion(self._texts[version], tags)
        return found

    def version_of(self, schema_type: str, text: str) -> int | None:
        """Which version a writer's schema text is (None when it is none of the known ones)."""
        if schema_type.upper() != self.schema_type:
            return None
        if self.schema_type != "AVRO":
            return self.latest if text.strip() == self._texts[self.latest].strip() else None
        try:
            wanted = json.loads(text)
        except ValueError:
            return None
        for number, known in self._texts.items():
            if json.loads(known) == wanted:
                return number
        return None

    def _transformer(self, version: int) -> tuple[dict[str, set[str]] | None, FieldTransformer | None]:
        if self.schema_type == "AVRO":
            avro = self.avro(version)
            return avro.inline_tags, avro.transformer
        descriptor = getattr(self.contract, "DESCRIPTOR", None)
        return None, _protobuf_transformer(descriptor) if descriptor is not None else None

    def _run(
        self, mode: RuleMode, source: int | None, target: int, message: Any, headers: Headers | None
    ) -> Any:
        tags, transformer = self._transformer(target)
        return self.runner.run(
            subject=self.subject,
            topic=self.topic,
            mode=mode,
            source=None if source is None else self.schemas[source],
            target=self.schemas[target],
            message=message,
            inline_tags=tags,
            field_transformer=transformer,
            headers=headers,
        )

    def write(self, message: Any, headers: Headers | None = None) -> Any:
        """Run the latest version's WRITE rules over ``message`` (a datum or a Protobuf message);
        an outcome already seen for the same rule inputs is recalled (:mod:`flux.serde.write_memo`)."""
        memo = self._write_memo if self._write_memo is not False else self._plan_write_memo()
        if memo is None or type(message) is not dict or _replayed(headers):
            return self._run(RuleMode.WRITE, None, self.latest, message, headers)
        assert isinstance(memo, WriteMemo)
        key = memo.key(message)
        if key is not None and memo.recall(key, message):
            return message
        result = self._run(RuleMode.WRITE, None, self.latest, message, headers)
        if key is not None and type(result) is dict:
            memo.remember(key, result)
        return result

    def write_reads(self, headers: Headers | None = None) -> tuple[str, ...] | None:
        """The top-level fields the WRITE outcome of a record with ``headers`` depends on, or None
        when it is not a function of named fields (:mod:`flux.serde.write_memo`)."""
        memo = self._write_memo if self._write_memo is not False else self._plan_write_memo()
        if memo is None or _replayed(headers):
            return None
        assert isinstance(memo, WriteMemo)
        return memo.reads

    def _plan_write_memo(self) -> WriteMemo | None:
        memo: WriteMemo | None = None
        if self.schema_type == "AVRO":
            rule_set = self.schemas[self.latest].rule_set
            avro = self.avro(self.latest)

            def top_fields(tags: Any) -> list[str]:
                return [str(f["name"]) for f in avro.walked(tags).get("fields", [])]

            rules = rule_set.domain_rules if rule_set is not None else None
            memo = write_memo_for(rules or [], top_fields)
        self._write_memo = memo
        return memo

    def read(self, message: Any, version: int | None = None, headers: Headers | None = None) -> Any:
        """Run the READ rules of the reader's ``version`` (default: latest) over ``message``."""
        return self._run(RuleMode.READ, None, self.latest if version is None else version, message, headers)

    def _has_rules(self, version: int, mode: RuleMode) -> bool:
        rule_set = self.schemas[version].rule_set if version in self.schemas else None
        rules = (rule_set.migration_rules or []) if rule_set is not None else []
        return any(r.mode in (mode, RuleMode.UPDOWN) for r in rules)

    def has_migrations(self, source: int, target: int) -> bool:
        """Whether reading version ``source`` as ``target`` runs migration rules (as Confluent decides)."""
        if source < target:
            return any(self._has_rules(v, RuleMode.UPGRADE) for v in range(source + 1, target + 1))
        if source > target:
            return any(self._has_rules(v, RuleMode.DOWNGRADE) for v in range(target + 1, source + 1))
        return False

    def migrate(self, datum: Any, source: int, target: int, headers: Headers | None = None) -> Any:
        """Migrate a ``source``-version datum to ``target``, one version step at a time."""
        if source < target:
            for version in range(source + 1, target + 1):
                if self._has_rules(version, RuleMode.UPGRADE):
                    datum = self._run_migration(RuleMode.UPGRADE, version - 1, version, datum, headers)
        else:
            for version in range(source, target, -1):
                if self._has_rules(version, RuleMode.DOWNGRADE):
                    datum = self._run_migration(RuleMode.DOWNGRADE, version, version - 1, datum, headers)
        return datum

    def _run_migration(
        self, mode: RuleMode, source: int, target: int, datum: Any, headers: Headers | None
    ) -> Any:
        return self.runner.run(
            subject=self.subject,
            topic=self.topic,
            mode=mode,
            source=self.schemas[source],
            target=self.schemas[target],
            message=datum,
            headers=headers,
        )
