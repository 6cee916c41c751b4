"""Tiny helpers the generated contract classes use to build instances quickly.

Generated classes are frozen, slotted dataclasses. A frozen dataclass's own ``__init__`` sets each
field through ``object.__setattr__``, which costs about twice as much as writing the slot directly;
the generated ``__init__`` and ``from_dict`` therefore write through the slots' descriptors, which
keeps instances exactly as frozen (assignment still raises ``FrozenInstanceError``) at the speed of
a mutable class.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["EMPTY_MAP", "new_instance", "slot_setters", "uuid_from_int"]

SlotSetter = Callable[[Any, Any], None]

new_instance: Final[Callable[[type[Any]], Any]] = object.__new__
"""Allocate an instance without running ``__init__`` (fields are then written by slot setters)."""

EMPTY_MAP: Final[Mapping[str, Any]] = MappingProxyType({})
"""Shared, immutable default of map fields."""


def slot_setters(cls: type[Any], *names: str) -> tuple[SlotSetter, ...]:
    """Return the slot descriptors' ``__set__`` of ``names`` on ``cls``, in order."""
    return tuple(getattr(cls, name).__set__ for name in names)


# uuid.UUID is slotted and refuses attribute writes; its slots' own descriptors do not.
_UUID_INT: Final[SlotSetter] = vars(uuid.UUID)["int"].__set__
_UUID_SAFE: Final[SlotSetter] = vars(uuid.UUID)["is_safe"].__set__
_UNKNOWN: Final = uuid.SafeUUID.unknown


def uuid_from_int(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` at a third of its cost (its ``__init__`` sorts through five ways of
    being called first); the caller guarantees ``0 <= value < 2**128``."""
    made: uuid.UUID = new_instance(uuid.UUID)
    _UUID_INT(made, value)
    _UUID_SAFE(made, _UNKNOWN)
    return made
