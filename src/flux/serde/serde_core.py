"""What the blocking and the asyncio serde share: codec cache, lookup outcomes, writer schemas.

:class:`flux.serde.sync_serde.Serde` and :class:`flux.serde.async_serde.AsyncSerde` differ only
in how they talk to the registry (confluent-kafka's blocking or async client). Everything that
decides — which schema a class has, when a failed lookup means "register it" or "fail", binding a
codec to its id, turning a missing writer schema into :class:`UnknownSchemaId` — lives here once,
free of I/O, the way python-socketio keeps its server logic apart from its transports.

The data contracts run here too (:mod:`flux.serde.contract_rules`): with ``write_rules`` every
``encode`` runs the class's WRITE rules first, with ``read_rules`` every ``decode`` runs the migration
and READ rules, as confluent-kafka's serializers order them; a failed rule whose action is ERROR or
DLQ raises :class:`RuleViolation` (counted in ``flux_serde_contract_violations_total``).
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from confluent_kafka.schema_registry import Schema, SchemaRegistryError

from flux.schemas.error_codes import is_not_found
from flux.serde.avro_codec import AvroCodec
from flux.serde.contract_rules import ContractRules
from flux.serde.contract_schema import ContractSchema, contract_schema
from flux.serde.errors import RuleViolation, SchemaNotRegistered, UnknownSchemaId
from flux.serde.protobuf_codec import ProtobufCodec
from flux.serde.rule_runner import Headers, RuleRunner
from flux.serde.violations import count_violation
from flux.serde.wire import read_header

__all__ = ["SerdeCore", "WireCodec", "build_codec", "not_found"]

LOG = logging.getLogger(__name__)

WireCodec = AvroCodec[Any] | ProtobufCodec[Any]
"""The wire codec of one contract class (Avro or Protobuf): what a serde caches per class."""


def build_codec(contract: type, schema_id: int) -> WireCodec:
    """Return the codec of ``contract`` bound to its schema id."""
    coordinates = contract_schema(contract)
    if coordinates.schema_type == "AVRO":
        return AvroCodec(contract, schema_id)
    return ProtobufCodec(contract, schema_id, coordinates.text)


def not_found(exc: SchemaRegistryError) -> bool:
    """True when the registry said the subject, version or schema does not exist."""
    return is_not_found(exc.error_code, exc.http_status_code)


class SerdeCore:
    """Codec cache and registry decisions of one serde (no I/O; see the module docs).

    Args:
        auto_register: register a class's schema when it is missing instead of failing.
        write_rules: run the contract's WRITE rules in ``encode``.
        read_rules: run the contract's migration and READ rules in ``decode``/``decode_datum``.
    """

    def __init__(
        self, *, auto_register: bool = False, write_rules: bool = False, read_rules: bool = False
    ) -> None:
        self.auto_register = auto_register
        self.write_rules = write_rules
        self.read_rules = read_rules
        self._codecs: dict[type, WireCodec] = {}
        self._runner = RuleRunner()
        self._rules: dict[type, ContractRules | None] = {}
        self._writer_versions: dict[tuple[type, int], int | None] = {}

    def rules(self, contract: type) -> ContractRules | None:
        """The data contract of ``contract`` (None when its subject has no rules)."""
        if contract in self._rules:
            return self._rules[contract]
        found = ContractRules(contract, self._runner)
        self._rules[contract] = found if found.enforces else None
        return self._rules[contract]

    def _wanted(self, contract: type) -> tuple[ContractSchema, Schema]:
        """The subject and schema ``contract`` is written with: text, metadata and rule set."""
        coordinates = contract_schema(contract)
        rules = ContractRules(contract, self._runner)
        return coordinates, rules.schema()

    @staticmethod
    def _plain(schema: Schema) -> Schema | None:
        """The schema without metadata and rule set, to look up where the registry dropped them."""
        if schema.metadata is None and schema.rule_set is None:
            return None
        return Schema(schema.schema_str, schema.schema_type, schema.references)

    def _register_or_raise(
        self, contract: type, coordinates: ContractSchema, exc: SchemaRegistryError
    ) -> None:
        """After a failed lookup: return when the schema should be registered now, else raise."""
        if not not_found(exc):
            raise exc
        if not self.auto_register:
            raise SchemaNotRegistered(
                f"{contract.__name__}'s schema is not registered under {coordinates.subject}: "
                f"{exc.error_message} (run `make register-schemas`)"
            ) from exc

    def _bind(self, contract: type, coordinates: ContractSchema, schema_id: int | None) -> WireCodec:
        """Cache and return the codec of ``contract`` under the id the registry gave."""
        if schema_id is None:
            raise SchemaNotRegistered(f"the registry returned no id for {coordinates.subject}")
        LOG.info("%s uses schema id %d (%s)", contract.__name__, schema_id, coordinates.subject)
        codec = build_codec(contract, schema_id)
        self._codecs[contract] = codec
        rules = self.rules(contract)
        self._writer_versions[(contract, schema_id)] = rules.latest if rules is not None else None
        return codec

    @staticmethod
    def _writer_missing(schema_id: int, exc: SchemaRegistryError) -> NoReturn:
        """After a failed writer-schema fetch: :class:`UnknownSchemaId` when it does not exist."""
        if not_found(exc):
            raise UnknownSchemaId(schema_id, f"not in the registry ({exc.error_message})") from exc
        raise exc

    def _teach(self, codec: WireCodec, schema_id: int, schema: Schema) -> None:
        schema_type, text = str(schema.schema_type or "AVRO"), str(schema.schema_str)
        codec.learn_writer(schema_id, schema_type, text)
        contract = codec.contract if isinstance(codec, AvroCodec) else codec.message_class
        rules = self.rules(contract)
        self._writer_versions[(contract, schema_id)] = rules.version_of(schema_type, text) if rules else None

    def encode_now(self, obj: object, *, headers: Headers | None = None) -> bytes | None:
        """``encode`` without registry I/O: None when the class's codec is not loaded yet (then
        call ``encode``, which looks its id up). For hot loops: no coroutine per record.

        Raises:
            RuleViolation: a WRITE rule failed with action ERROR or DLQ (produce nothing).
            SchemaMismatch: the object does not fit its schema.
        """
        codec = self._codecs.get(type(obj))
        if codec is None:
            return None
        if not self.write_rules:
            return codec.encode(obj)
        return self._encode(codec, obj, headers)

    def decode_now(self, contract: type, data: bytes, *, headers: Headers | None = None) -> Any:
        """``decode`` without registry I/O: None when the class's codec or the record's writer
        schema is not loaded yet (then call ``decode``, which fetches it).

        Raises:
            SerdeError: the record cannot become a ``contract``, or broke a rule: dead-letter it.
        """
        codec = self._codecs.get(contract)
        if codec is None:
            return None
        try:
            return self._read(codec, data, datum=False, version=None, headers=headers)
        except UnknownSchemaId:
            return None

    def _encode(self, codec: WireCodec, obj: Any, headers: Headers | None = None) -> bytes:
        """``codec.encode(obj)``, after the WRITE rules when they are on."""
        rules = self.rules(type(obj)) if self.write_rules else None
        if rules is None:
            return codec.encode(obj)
        try:
            if isinstance(codec, AvroCodec):
                reads = rules.write_reads(headers)
                if reads is not None:
                    return codec.encode_checked(obj, reads, lambda datum: rules.write(datum, headers))
                return codec.encode_datum(rules.write(obj.to_dict(), headers))
            return codec.encode(rules.write(obj, headers))
        except RuleViolation as violation:
            count_violation(violation)
            raise

    def _migrated(
        self, codec: AvroCodec[Any], rules: ContractRules, data: bytes, target: int, headers: Headers | None
    ) -> Any:
        """The record as a datum of version ``target``: through the migration rules between the
        writer's version and it when there are any (Confluent reads the writer's datum and migrates
        it), else by Avro schema resolution."""
        schema_id = read_header(data)
        if not codec.knows(schema_id):
            raise UnknownSchemaId(schema_id)
        writer = self._writer_versions.get((codec.contract, schema_id))
        if writer is not None and writer != target and rules.has_migrations(writer, target):
            return rules.migrate(codec.decode_datum_as(data, None), writer, target, headers)
        if target == rules.latest:
            return codec.decode_datum(data)
        return codec.decode_datum_as(data, rules.avro(target).parsed)

    def _read(
        self, codec: WireCodec, data: bytes, *, datum: bool, version: int | None, headers: Headers | None
    ) -> Any:
        """Decode ``data`` (a datum or the class's object), with migration and READ rules when on.

        ``version`` reads as that version of the contract (a datum in its shape), as a reader pinned
        with ``use.latest.with.metadata`` does; by default the latest.
        """
        contract = codec.contract if isinstance(codec, AvroCodec) else codec.message_class
        rules = self.rules(contract) if self.read_rules or version is not None else None
        if rules is None:
            if isinstance(codec, AvroCodec):
                return codec.decode_datum(data) if datum else codec.decode(data)
            return codec.decode(data)
        target = rules.latest if version is None else version
        try:
            if not isinstance(codec, AvroCodec):
                message = codec.decode(data)
                return rules.read(message, None, headers) if self.read_rules else message
            value = self._migrated(codec, rules, data, target, headers)
            if self.read_rules:
                value = rules.read(value, target, headers)
        except RuleViolation as violation:
            count_violation(violation)
            raise
        if datum or target != rules.latest:
            return value
        return codec.from_datum(value)
