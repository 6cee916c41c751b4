"""Exceptions raised by the offline schema functions (parsing, canonical form, compatibility)."""

from __future__ import annotations

__all__ = ["InvalidSchemaError", "SchemaReferenceError"]


class InvalidSchemaError(ValueError):
    """The schema text does not parse, does not compile or references something unknown."""


class SchemaReferenceError(InvalidSchemaError):
    """A schema reference cannot be resolved (unknown name or import)."""
