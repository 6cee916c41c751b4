"""Where a write goes: performed here on the leader, forwarded to it from any other node.

The leader is whoever the cluster says (:class:`ClusterView`: the election and the leader record
on the log). A write that reaches a follower is sent to the leader unchanged and its answer
relayed unchanged; the leader adds ``Flux-Log-Position`` (the log position after the write), and
the follower waits until it has applied that far before answering: read-your-writes on every
node. Following Confluent's ``KafkaSchemaRegistry``:

* no leader known → ``50004`` (unknown leader), after waiting up to ``leader_wait_s`` for one
  (a node that was just assigned the lead finishes fencing and replaying in that time);
* the leader cannot be reached → ``50003`` (forwarding error), after waiting up to
  ``leader_wait_s`` for a different leader to be announced (the request never reached the old
  one, so sending it to the new one is safe);
* a write refused because this node lost the lead meanwhile (fenced: nothing was committed) is
  routed again, to the new leader;
* a forwarded request is never forwarded again (``Flux-Forwarded``): stale views cannot loop.

``after_write`` (a node of several processes, ``--workers``) is awaited with the log position of
every acknowledged write, performed or forwarded, before the answer: the server waits there until
the node's other processes have applied it too (:mod:`flux.registry.workers`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

import aiohttp
from aiohttp import web

from flux.registry.core.errors import ErrorCode, NotLeaderError, RegistryError

__all__ = ["FORWARDED_HEADER", "POSITION_HEADER", "ClusterView", "WriteRouter"]

LOG = logging.getLogger(__name__)

_PASS_HEADERS: Final = ("Authorization", "Content-Type", "Accept")
FORWARDED_HEADER: Final = "Flux-Forwarded"
POSITION_HEADER: Final = "Flux-Log-Position"
FORWARD_TIMEOUT_S: Final = 30.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ClusterView(Protocol):
    """What routing needs to know about the registry cluster."""

    @property
    def is_leader(self) -> bool: ...

    @property
    def establishing(self) -> bool: ...

    @property
    def position(self) -> int: ...

    def leader_url(self) -> str | None: ...

    def describe(self) -> dict[str, object]: ...

    async def wait_change(self, limit_s: float) -> None: ...

    async def wait_position(self, position: int, limit_s: float) -> None: ...


class _Unreachable(Exception):
    pass


class WriteRouter:
    """Performs writes on the leader, forwards them from followers (module docs)."""

    def __init__(
        self,
        cluster: ClusterView,
        *,
        leader_wait_s: float = 10.0,
        after_write: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.cluster = cluster
        self.leader_wait_s = leader_wait_s
        self.after_write = after_write
        self._session: aiohttp.ClientSession | None = None
        self.forwarded = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def route(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        deadline = time.monotonic() + self.leader_wait_s
        forwarded = FORWARDED_HEADER in request.headers
        unreachable: str | None = None
        while True:
            cluster = self.cluster
            if cluster.is_leader:
                try:
                    response = await handler(request)
                except NotLeaderError:  # lost the lead meanwhile; nothing was written
                    if time.monotonic() >= deadline:
                        raise
                    await cluster.wait_change(0.2)
                    continue
                position = cluster.position
                response.headers[POSITION_HEADER] = str(position)
                if self.after_write is not None and response.status < 300:
                    await self.after_write(position)
                return response
            url = None if forwarded else cluster.leader_url()
            remaining = deadline - time.monotonic()
            if url is not None and url != unreachable:
                try:
                    return await self._forward(request, url)
                except _Unreachable as exc:
                    unreachable = url
                    if remaining <= 0:
                        raise RegistryError(
                            500,
                            ErrorCode.FORWARDING_ERROR,
                            f"Error while forwarding the request to the leader: {exc}",
                        ) from None
            elif remaining <= 0 or (forwarded and not cluster.establishing):
                if unreachable is not None:
                    raise RegistryError(
                        500,
                        ErrorCode.FORWARDING_ERROR,
                        f"Error while forwarding the request to the leader {unreachable}: unreachable",
                    )
                raise RegistryError(500, ErrorCode.UNKNOWN_LEADER, "Request failed since leader is unknown")
            await cluster.wait_change(max(0.05, min(remaining, 1.0)))

    async def _forward(self, request: web.Request, url: str) -> web.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_S))
        headers = {h: request.headers[h] for h in _PASS_HEADERS if h in request.headers}
        headers[FORWARDED_HEADER] = "1"
        body = await request.read()
        target = url + request.rel_url.raw_path_qs
        try:
            async with self._session.request(request.method, target, data=body, headers=headers) as answer:
                payload = await answer.read()
                position = answer.headers.get(POSITION_HEADER)
                status, content_type = answer.status, answer.content_type
        except aiohttp.ClientConnectorError as exc:  # not connected: the request was never sent
            LOG.warning("the registry leader is unreachable", extra={"leader": url, "error": str(exc)})
            raise _Unreachable(str(exc)) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failed(url, exc) from None
        self.forwarded += 1
        if status < 300 and position is not None and position.isdigit():
            try:
                await self.cluster.wait_position(int(position), 30.0)  # read-your-writes here
            except RegistryError:
                LOG.warning("forwarded write not yet applied here", extra={"position": position})
            if self.after_write is not None:
                await self.after_write(int(position))
        return web.Response(
            body=payload, status=status, content_type=content_type or "application/vnd.schemaregistry.v1+json"
        )

    @staticmethod
    def _failed(url: str, exc: BaseException) -> RegistryError:
        """The request may have reached the leader: never retried (the client decides)."""
        LOG.warning("forwarding to the registry leader failed", extra={"leader": url, "error": str(exc)})
        return RegistryError(
            500, ErrorCode.FORWARDING_ERROR, f"Error while forwarding the request to the leader: {exc}"
        )
