"""Bounded caches of answers: the same request against the same state gets the same answer.

An :class:`AnswerCache` maps a key made of the exact request to what was answered (encoded
bytes, or the :class:`~flux.registry.core.errors.RegistryError` it failed with). With a
``generation`` source (:attr:`RegistryState.generation`, one more per applied log record) the
whole cache is dropped as soon as the state changed, so an answer is only ever served for the
state it was computed from; without one, entries never go stale (answers about immutable
resources, e.g. a schema by id). Memory is bounded by both the number of entries and their
total size (keys and answers, in bytes as the caller weighs them), least recently used first out.

Example:
    >>> cache = AnswerCache("lookup", lambda: 0, max_entries=2)
    >>> cache.put(("s", b"{}"), b'{"id":1}', generation=0, size=10)
    >>> cache.get(("s", b"{}"))
    b'{"id":1}'
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

__all__ = ["DEFAULT_CACHE_BYTES", "DEFAULT_CACHE_ENTRIES", "AnswerCache"]

DEFAULT_CACHE_ENTRIES: Final = 10_000
DEFAULT_CACHE_BYTES: Final = 64 * 1024 * 1024

_V = TypeVar("_V")


class AnswerCache(Generic[_V]):
    """A least-recently-used map from requests to answers, bounded in entries and bytes.

    Args:
        name: what the metrics call it (``flux_registry_cache_hits_total{cache=NAME}``).
        generation: the state's generation (None: entries never go stale).
        max_entries: at most this many entries (0 disables the cache).
        max_bytes: at most this much in keys and answers together; one entry larger than a
            sixteenth of it is not kept.
    """

    def __init__(
        self,
        name: str,
        generation: Callable[[], int] | None = None,
        *,
        max_entries: int = DEFAULT_CACHE_ENTRIES,
        max_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.name = name
        self._generation = generation
        self.max_entries = max(0, max_entries)
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[Hashable, tuple[_V, int]] = OrderedDict()
        self._at = generation() if generation is not None else 0
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.invalidations = 0

    def __len__(self) -> int:
        return len(self._entries)

    def generation(self) -> int:
        """The generation answers computed now belong to (pass it to :meth:`put`)."""
        return self._generation() if self._generation is not None else 0

    def _fresh(self) -> None:
        if self._generation is None:
            return
        now = self._generation()
        if now != self._at:
            self._at = now
            if self._entries:
                self._entries.clear()
                self.bytes = 0
                self.invalidations += 1

    def get(self, key: Hashable) -> _V | None:
        """The answer kept for ``key`` at the current generation, or None (counted as a miss)."""
        self._fresh()
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found[0]

    def put(self, key: Hashable, answer: _V, *, generation: int, size: int) -> None:
        """Keep ``answer`` for ``key`` if it was computed at the current generation and fits."""
        self._fresh()
        if generation != self._at or self.max_entries == 0 or size > self.max_bytes // 16:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (answer, size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
