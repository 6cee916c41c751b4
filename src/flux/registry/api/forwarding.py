"""Follower instances forward writes to the primary (or refuse them with 50003 when none is known)."""

from __future__ import annotations

import logging
from typing import Final

import aiohttp
from aiohttp import web

from flux.registry.core.errors import ErrorCode, RegistryError

__all__ = ["WriteForwarder"]

LOG = logging.getLogger(__name__)

_PASS_HEADERS: Final = ("Authorization", "Content-Type", "Accept")


class WriteForwarder:
    """Sends a write request to the primary and relays its answer unchanged."""

    def __init__(self, primary_url: str | None) -> None:
        self.primary_url = primary_url.rstrip("/") if primary_url else None
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.Request) -> web.Response:
        if self.primary_url is None:
            raise RegistryError(
                500,
                ErrorCode.FORWARDING_ERROR,
                "Error while forwarding the request to the primary: this registry is a follower without "
                "a primary URL",
            )
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        headers = {h: request.headers[h] for h in _PASS_HEADERS if h in request.headers}
        body = await request.read()
        url = self.primary_url + request.rel_url.raw_path_qs
        try:
            async with self._session.request(request.method, url, data=body, headers=headers) as response:
                payload = await response.read()
                return web.Response(
                    body=payload,
                    status=response.status,
                    content_type=response.content_type or "application/vnd.schemaregistry.v1+json",
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            LOG.warning(
                "forwarding to the primary failed", extra={"primary": self.primary_url, "error": str(exc)}
            )
            raise RegistryError(
                500, ErrorCode.FORWARDING_ERROR, f"Error while forwarding the request to the primary: {exc}"
            ) from None
