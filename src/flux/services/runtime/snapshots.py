"""Global snapshots (top coins, movers, news, stocks): refreshed on command and on a schedule.

On a refresh command the snapshot is fetched (coalesced and cached briefly, so a
burst of refreshes costs one upstream call) and published with the command's
id as correlation id, holding as many entries as the command's ``limit`` asks
(within bounds). The schedule publishes only when the content changed.
When the upstream fails, a command is answered with the last good snapshot
(clients keep a consistent view and the command still gets its event); with no
snapshot yet, the failure is logged and counted. A refresh within the coalescing
window is answered at once from the cache (:meth:`GlobalSnapshot.answer_now`), and
a snapshot's fields and hash are built once, not once per command answered with it.

Example:
    >>> coins = GlobalSnapshot(  # doctest: +SKIP
    ...     ctx, TopCoinsUpdated, fetch=provider.top_coins, fields=coin_fields, size=10, interval_s=15.0
    ... )
    >>> routes = [CommandRoute(RefreshTopCoins, coins.on_command)]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Generic, TypeVar
from uuid import UUID

from flux.contracts.keys import GLOBAL_KEY
from flux.contracts.snapshot_sizes import snapshot_size
from flux.resilience import UpstreamError
from flux.resilience.coalesce import CoalescingCache
from flux.resilience.failures import is_transient
from flux.serde.contract_schema import contract_schema
from flux.services.runtime.context import ServiceContext
from flux.services.runtime.envelope import event_id_for, snapshot_hash, utc_now
from flux.services.runtime.metrics import UPSTREAM_ERRORS, UPSTREAM_LATENCY
from flux.services.runtime.publisher import Outgoing

__all__ = ["GlobalSnapshot"]

LOG = logging.getLogger(__name__)

S = TypeVar("S")
# A burst of refresh commands within this window shares one upstream call.
REFRESH_COALESCE_S: Final = 2.0


def _datum(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_datum(v) for v in value]
    return value


class GlobalSnapshot(Generic[S]):
    """One global snapshot topic: builds events of ``contract`` from what ``fetch`` returns.

    ``fetch(n)`` returns a snapshot of ``n`` entries: ``size`` on the schedule, the command's
    ``limit`` (clamped, :mod:`flux.contracts.snapshot_sizes`) on a refresh command.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        contract: type,
        *,
        fetch: Callable[[int], Awaitable[S]],
        fields: Callable[[S], Mapping[str, Any]],
        size: int,
        interval_s: float,
    ) -> None:
        self.ctx = ctx
        self.contract = contract
        self.topic = contract_schema(contract).topic
        self._fetch = fetch
        self._fields = fields
        self.size = size
        self.interval_s = interval_s
        self._cache: CoalescingCache[int, S] = CoalescingCache(REFRESH_COALESCE_S)
        self._last_good: dict[int, S] = {}
        self._last_published_hash: str | None = None
        # Per size, the last snapshot built into event fields, with those fields and their hash.
        self._built: dict[int, tuple[S, dict[str, Any], str]] = {}

    async def _snapshot(self, size: int) -> S | None:
        async def timed_fetch() -> S:
            with UPSTREAM_LATENCY.labels(self.ctx.service, self.topic).time():
                return await self._fetch(size)

        try:
            snapshot = await self._cache.get(size, timed_fetch)
        except UpstreamError as exc:
            UPSTREAM_ERRORS.labels(self.ctx.service, self.topic, type(exc).__name__).inc()
            LOG.warning(
                "upstream failed; keeping the last good snapshot",
                extra={"topic": self.topic, "error": str(exc)},
            )
            return self._last_good.get(size)
        self._last_good[size] = snapshot
        return snapshot

    def _content(self, size: int, snapshot: S) -> tuple[dict[str, Any], str]:
        """The event fields of ``snapshot`` and their hash (built once per snapshot and size)."""
        built = self._built.get(size)
        if built is not None and built[0] is snapshot:
            return built[1], built[2]
        fields = dict(self._fields(snapshot))
        content_hash = snapshot_hash({k: _datum(v) for k, v in fields.items()})
        self._built[size] = (snapshot, fields, content_hash)
        return fields, content_hash

    def _event(self, snapshot: S, correlation_id: UUID | None, size: int) -> Outgoing:
        """The event for ``snapshot``; once acknowledged, the schedule skips its content."""
        fields, content_hash = self._content(size, snapshot)
        event = self.contract(
            event_id=event_id_for(correlation_id, self.topic),
            produced_at=utc_now(),
            source=self.ctx.service,
            correlation_id=correlation_id,
            snapshot_hash=content_hash,
            **fields,
        )
        return Outgoing(event, GLOBAL_KEY, on_acked=lambda: self._remember_published(content_hash))

    def answer_now(self, command: Any) -> list[Outgoing] | None:
        """The refresh's event when the snapshot it asks for is cached (None: :meth:`on_command`)."""
        size = snapshot_size(getattr(command, "limit", None), self.size)
        snapshot = self._cache.cached(size)
        if snapshot is None:
            return None
        return [self._event(snapshot, command.command_id, size)]

    async def on_command(self, command: Any) -> list[Outgoing]:
        """Handle a refresh command: one event carrying the command id, unless nothing is known yet."""
        size = snapshot_size(getattr(command, "limit", None), self.size)
        snapshot = await self._snapshot(size)
        if snapshot is None:
            return []
        return [self._event(snapshot, command.command_id, size)]

    def _remember_published(self, digest: str) -> None:
        self._last_published_hash = digest

    async def run_schedule(self, stop: asyncio.Event) -> None:
        """Publish on a fixed interval, skipping unchanged content; the first run is immediate."""
        while not stop.is_set():
            try:
                await self.publish_if_changed()
            except Exception as exc:
                if not is_transient(exc):
                    LOG.exception("scheduled refresh failed", extra={"topic": self.topic})
                else:
                    LOG.warning("scheduled refresh deferred", extra={"topic": self.topic, "error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)

    async def publish_if_changed(self) -> bool:
        snapshot = await self._snapshot(self.size)
        if snapshot is None:
            return False
        outgoing = self._event(snapshot, None, self.size)
        digest = outgoing.event.snapshot_hash  # type: ignore[attr-defined]
        if digest == self._last_published_hash:
            return False
        await self.ctx.publisher.publish([outgoing])  # remembers the digest once acknowledged
        return True
