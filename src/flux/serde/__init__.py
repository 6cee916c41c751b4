"""Registry-backed serialization of Flux contracts in the Confluent wire format.

``AsyncSerde`` (asyncio) and ``Serde`` (blocking) look schema ids up in the registry once per
class and cache codecs; ``AvroCodec``/``ProtobufCodec`` are the I/O-free hot paths. Every record
that cannot be decoded raises :class:`SerdeError` (dead-letter it). Built with ``write_rules`` or
``read_rules``, a serde also enforces the data contract of each class (the rules beside its schema,
generated into :mod:`flux.contracts.generated.data_contracts`) with confluent-kafka's rule
executors; a broken rule raises :class:`RuleViolation` (a ``SerdeError``) naming subject, rule and
action, counted in ``flux_serde_contract_violations_total`` (:mod:`flux.serde.violations`).

Example:
    >>> from flux.serde import AvroCodec
    >>> from flux.contracts import RefreshNews
    >>> from datetime import UTC, datetime
    >>> from uuid import UUID
    >>> codec = AvroCodec(RefreshNews, schema_id=7)
    >>> cmd = RefreshNews(command_id=UUID(int=1), issued_at=datetime(2026, 1, 1, tzinfo=UTC))
    >>> codec.decode(codec.encode(cmd)) == cmd
    True
"""

from flux.serde.async_serde import AsyncSerde, WireCodec
from flux.serde.avro_codec import AvroCodec
from flux.serde.errors import (
    BadMagicByte,
    RuleViolation,
    SchemaMismatch,
    SchemaNotRegistered,
    SerdeError,
    TruncatedRecord,
    UnknownSchemaId,
)
from flux.serde.protobuf_codec import ProtobufCodec
from flux.serde.sync_serde import Serde
from flux.serde.violations import CONTRACT_VIOLATIONS

__all__ = [
    "CONTRACT_VIOLATIONS",
    "AsyncSerde",
    "AvroCodec",
    "BadMagicByte",
    "ProtobufCodec",
    "RuleViolation",
    "SchemaMismatch",
    "SchemaNotRegistered",
    "Serde",
    "SerdeError",
    "TruncatedRecord",
    "UnknownSchemaId",
    "WireCodec",
]
