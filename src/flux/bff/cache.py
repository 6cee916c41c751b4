"""The snapshot cache (ADR-004/005): latest snapshot per key in memory, mirrored to Valkey.

Memory is the source clients are served from. Valkey is an optional
accelerator that lets a fresh BFF instance hydrate clients before any event
arrives: writes happen in the background (latest-per-key, coalesced), reads
happen only on a memory miss and at start-up, every Valkey call has a short
timeout and goes through a circuit breaker, and failures are logged and
counted — never raised to a client and never changing what clients receive.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from flux.bff.freshness import supersedes
from flux.bff.metrics import BffMetrics
from flux.bff.snapshot import Snapshot, Stream
from flux.resilience.breaker import CircuitBreaker
from flux.resilience.errors import UpstreamUnavailable

__all__ = ["SnapshotCache", "SnapshotStore", "ValkeySnapshotStore"]

LOG = logging.getLogger(__name__)
T = TypeVar("T")


class SnapshotStore(Protocol):
    """The remote tier (Valkey in production)."""

    async def get(self, cache_key: str) -> Snapshot | None: ...

    async def put_many(self, snapshots: list[Snapshot], ttl_seconds: Mapping[Stream, int]) -> None: ...

    async def load_all(self) -> list[Snapshot]: ...

    async def close(self) -> None: ...


class ValkeySnapshotStore:
    """Snapshots as JSON strings under ``{prefix}{stream}|{key}``, each with a TTL."""

    def __init__(self, url: str, *, prefix: str, timeout: float) -> None:
        import valkey.asyncio as valkey_asyncio  # noqa: PLC0415 - optional tier, import on use

        self.prefix = prefix
        self._client: Any = valkey_asyncio.Valkey.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=0,
        )

    async def get(self, cache_key: str) -> Snapshot | None:
        raw = await self._client.get(self.prefix + cache_key)
        return None if raw is None else _decode(raw)

    async def put_many(self, snapshots: list[Snapshot], ttl_seconds: Mapping[Stream, int]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for snap in snapshots:
            pipe.set(
                self.prefix + snap.cache_key,
                json.dumps(snap.to_record(), separators=(",", ":")),
                ex=ttl_seconds[snap.stream],
            )
        await pipe.execute()

    async def load_all(self) -> list[Snapshot]:
        keys = [key async for key in self._client.scan_iter(match=self.prefix + "*", count=500)]
        out: list[Snapshot] = []
        for start in range(0, len(keys), 500):
            for raw in await self._client.mget(keys[start : start + 500]):
                if raw is None:
                    continue
                try:
                    out.append(_decode(raw))
                except (KeyError, TypeError, ValueError) as exc:
                    LOG.warning("skipping undecodable cached snapshot: %s", exc)
        return out

    async def close(self) -> None:
        await self._client.aclose()


def _decode(raw: bytes | str) -> Snapshot:
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise TypeError("cached snapshot is not an object")
    return Snapshot.from_record(record)


class SnapshotCache:
    """Latest snapshot per ``(stream, key)``; decides freshness (dedup) for every cached stream."""

    def __init__(
        self,
        metrics: BffMetrics,
        *,
        store: SnapshotStore | None,
        ttl_seconds: Mapping[Stream, int],
        timeout: float = 0.25,
        breaker: CircuitBreaker | None = None,
        max_entries: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._store = store
        self._ttl = dict(ttl_seconds)
        self._timeout = timeout
        self.breaker = breaker or CircuitBreaker("valkey", failure_threshold=3, reset_timeout_s=5.0)
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Snapshot, float]] = OrderedDict()
        self._pending: dict[str, Snapshot] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None
        self._retry_pause = min(1.0, max(0.05, self.breaker.reset_timeout_s / 4))

    # ----------------------------------------------------------------- memory
    def latest(self, stream: Stream, key: str) -> Snapshot | None:
        """The freshest unexpired snapshot held in memory, or None."""
        cache_key = f"{stream.value}|{key}"
        entry = self._entries.get(cache_key)
        if entry is None:
            return None
        snap, expires_at = entry
        if self._clock() >= expires_at:
            del self._entries[cache_key]
            return None
        self._entries.move_to_end(cache_key)
        return snap

    def offer(self, snapshot: Snapshot) -> bool:
        """Keep ``snapshot`` if it supersedes the held one; return whether it did (i.e. emit it)."""
        if not snapshot.stream.cached:
            raise ValueError(f"{snapshot.stream} is relayed, never cached")
        current = self._entries.get(snapshot.cache_key)
        if not supersedes(snapshot, current[0] if current else None):
            return False
        self._remember(snapshot)
        if self._store is not None:
            self._pending[snapshot.cache_key] = snapshot
            self._idle.clear()
            self._wake.set()
        return True

    def _remember(self, snapshot: Snapshot) -> None:
        self._entries[snapshot.cache_key] = (snapshot, self._clock() + self._ttl[snapshot.stream])
        self._entries.move_to_end(snapshot.cache_key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    # ------------------------------------------------------------------ valkey
    async def lookup(self, stream: Stream, key: str) -> Snapshot | None:
        """Memory first; on a miss ask Valkey (bounded by the timeout and the breaker)."""
        snap = self.latest(stream, key)
        if snap is not None:
            self._metrics.cache_hits.labels("memory").inc()
            return snap
        if self._store is not None:
            store = self._store
            _, remote = await self._guarded("get", lambda: store.get(f"{stream.value}|{key}"))
            if remote is not None:
                self._metrics.cache_hits.labels("valkey").inc()
                current = self.latest(stream, key)
                if supersedes(remote, current):
                    self._remember(remote)
                    return remote
                return current
        self._metrics.cache_misses.inc()
        return None

    async def warm(self) -> int:
        """Load every snapshot Valkey holds into memory; return how many were kept."""
        if self._store is None:
            return 0
        store = self._store
        _, loaded = await self._guarded("warm", store.load_all, limit_s=max(self._timeout, 2.0))
        kept = 0
        for snap in loaded or []:
            if snap.stream.cached and supersedes(snap, self.latest(snap.stream, snap.key)):
                self._remember(snap)
                kept += 1
        LOG.info("snapshot cache warmed from valkey", extra={"snapshots": kept})
        return kept

    async def _guarded(
        self, op: str, call: Callable[[], Awaitable[T]], limit_s: float | None = None
    ) -> tuple[bool, T | None]:
        """Run one Valkey call; return ``(succeeded, result)``, never raising."""
        try:
            self.breaker.acquire()
        except UpstreamUnavailable:
            self._metrics.cache_failures.labels(op).inc()
            return False, None
        try:
            result = await asyncio.wait_for(call(), limit_s or self._timeout)
        except Exception as exc:  # any Valkey trouble degrades to memory-only
            self.breaker.record_failure()
            self._metrics.cache_failures.labels(op).inc()
            LOG.warning("valkey %s failed (%s: %s); serving from memory", op, type(exc).__name__, exc)
            return False, None
        self.breaker.record_success()
        return True, result

    async def start(self) -> None:
        """Start the background writer that mirrors accepted snapshots to Valkey."""
        if self._store is not None and self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="bff-valkey-writer")

    async def _write_loop(self) -> None:
        store = self._store
        assert store is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                continue
            batch = list(self._pending.values())
            self._pending.clear()
            ok, _ = await self._guarded("put", functools.partial(store.put_many, batch, self._ttl))
            if not ok:
                # Keep the newest unwritten snapshot per key and retry after a pause.
                for snap in batch:
                    self._pending.setdefault(snap.cache_key, snap)
                await asyncio.sleep(self._retry_pause)
                self._wake.set()
            elif not self._pending:
                self._idle.set()

    async def flush(self, limit_s: float = 2.0) -> bool:
        """Wait at most ``limit_s`` until every accepted snapshot reached Valkey; return whether it did."""
        if self._store is None:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), limit_s)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        if self._store is not None:
            with contextlib.suppress(Exception):
                await self._store.close()
