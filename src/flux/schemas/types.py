"""Small shared vocabulary of the registry: schema types and compatibility levels."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CompatibilityLevel", "SchemaType"]


class SchemaType(StrEnum):
    """Schema formats the registry understands (Confluent's ``schemaType`` values)."""

    AVRO = "AVRO"
    PROTOBUF = "PROTOBUF"
    JSON = "JSON"


class CompatibilityLevel(StrEnum):
    """Confluent's compatibility levels.

    ``BACKWARD``: the new schema can read data written with the previous one.
    ``FORWARD``: the previous schema can read data written with the new one.
    ``FULL``: both. ``*_TRANSITIVE``: against every earlier version, not only the latest.
    """

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        """True when every earlier version is checked, not only the latest."""
        return self.value.endswith("_TRANSITIVE")

    @property
    def checks_backward(self) -> bool:
        """True when the new schema must read data written with the old ones."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def checks_forward(self) -> bool:
        """True when the old schemas must read data written with the new one."""
        return self.value.startswith(("FORWARD", "FULL"))
