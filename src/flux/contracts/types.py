"""The structural type every generated Avro contract class satisfies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, Self

from fastavro.types import Schema

__all__ = ["AvroContract"]


class AvroContract(Protocol):
    """A generated Avro class: knows its topic, subject and schema, converts to and from datums."""

    TOPIC: ClassVar[str]
    SUBJECT: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]
    SCHEMA_TEXT: ClassVar[str]
    PARSED_SCHEMA: ClassVar[Schema]

    def to_dict(self) -> dict[str, Any]:
        """Return fastavro's datum form."""
        ...

    @classmethod
    def from_dict(cls, datum: Mapping[str, Any]) -> Self:
        """Build from fastavro's datum form."""
        ...
