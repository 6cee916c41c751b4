"""Tiny helpers the generated contract classes use to build instances quickly.

Generated classes are frozen, slotted dataclasses. A frozen dataclass's own ``__init__`` sets each
field through ``object.__setattr__``, which costs about twice as much as writing the slot directly;
the generated ``__init__`` and ``from_dict`` therefore write through the slots' descriptors, which
keeps instances exactly as frozen (assignment still raises ``FrozenInstanceError``) at the speed of
a mutable class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["EMPTY_MAP", "new_instance", "slot_setters"]

SlotSetter = Callable[[Any, Any], None]

new_instance: Final[Callable[[type[Any]], Any]] = object.__new__
"""Allocate an instance without running ``__init__`` (fields are then written by slot setters)."""

EMPTY_MAP: Final[Mapping[str, Any]] = MappingProxyType({})
"""Shared, immutable default of map fields."""


def slot_setters(cls: type[Any], *names: str) -> tuple[SlotSetter, ...]:
    """Return the slot descriptors' ``__set__`` of ``names`` on ``cls``, in order."""
    return tuple(getattr(cls, name).__set__ for name in names)
