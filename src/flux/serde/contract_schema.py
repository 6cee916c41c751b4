"""Which subject, schema type and schema text a contract class is registered with."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flux.contracts import AVRO_CONTRACTS, PROTOBUF_CONTRACTS
from flux.schema_tools.subjects import load_subjects

__all__ = ["ContractSchema", "contract_schema"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ContractSchema:
    """Registry coordinates of a contract class's current schema."""

    topic: str
    subject: str
    schema_type: str
    text: str


_CACHE: dict[type, ContractSchema] = {}


def contract_schema(contract: type[object]) -> ContractSchema:
    """Return the registry coordinates of ``contract`` (a generated Avro class or ``_pb2`` message).

    Raises:
        TypeError: ``contract`` is not a generated contract class.
    """
    cached = _CACHE.get(contract)
    if cached is not None:
        return cached
    _CACHE[contract] = _find(contract)
    return _CACHE[contract]


def _find(contract: type[object]) -> ContractSchema:
    for topic, avro_class in AVRO_CONTRACTS.items():
        if avro_class is contract:
            return ContractSchema(topic, avro_class.SUBJECT, "AVRO", avro_class.SCHEMA_TEXT)
    for topic, message_class in PROTOBUF_CONTRACTS.items():
        if message_class is contract:
            subject = load_subjects().for_topic(topic)
            return ContractSchema(topic, subject.subject, "PROTOBUF", subject.latest.text)
    raise TypeError(f"{contract!r} is not a generated Flux contract class")
