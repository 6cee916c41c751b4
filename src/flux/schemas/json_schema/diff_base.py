"""Shared shapes of the change detection: a change, a path, the recursion guard, the callback.

A ``Change`` is one of Confluent's difference types at a path of schema keywords, e.g.
``Change("TYPE_CHANGED", ("properties", "id"))``, printed ``#/properties/id``.

Example:
    >>> Change("MAX_LENGTH_DECREASED", ("properties", "a/b", "maxLength")).pointer
    '#/properties/a~1b/maxLength'
    >>> is_compatible([Change("TITLE_CHANGED", ())])
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flux.schemas.json_schema.changes import COMPATIBLE_CHANGES
from flux.schemas.json_schema.model import Node

__all__ = ["Change", "Compare", "Guard", "Path", "is_compatible"]

Path = tuple[str, ...]
# Writer-side nodes being compared further up the stack (by identity), as Confluent's
# Context.enterSchema keeps them: meeting one again ends that branch with no change.
Guard = frozenset[int]
Compare = Callable[[Node | None, Node | None, Path, Guard], list["Change"]]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between writer (Confluent's original) and reader (its update)."""

    type: str
    path: Path

    @property
    def pointer(self) -> str:
        """``#/`` followed by the RFC 6901-escaped path (``#/`` alone for the root)."""
        return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in self.path)

    @property
    def compatible(self) -> bool:
        return self.type in COMPATIBLE_CHANGES


def is_compatible(changes: Iterable[Change]) -> bool:
    """True when every change is one of Confluent's compatible changes."""
    return all(change.compatible for change in changes)
