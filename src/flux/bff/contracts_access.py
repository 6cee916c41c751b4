"""Who may use the contracts API: the BFF's token, when one is set, and a per-address rate limit.

The BFF reads the registry with its own credentials (``FLUX_REGISTRY_BASIC_AUTH``), so with
``FLUX_BFF_AUTH_TOKEN`` set every ``/api/contracts/...`` request needs ``Authorization: Bearer
<token>``; each client address gets its own token bucket (:class:`~flux.bff.ratelimit.PerAddressLimit`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Final

from aiohttp import web
from pydantic import SecretStr

from flux.bff.contracts_errors import Handler, json_error
from flux.bff.ratelimit import PerAddressLimit

__all__ = ["CONTRACTS_BURST", "CONTRACTS_RATE", "gated"]

CONTRACTS_RATE: Final = 5.0
"""Requests per second per client address (a page polls once every 5 s)."""
CONTRACTS_BURST: Final = 20


def gated(
    handler: Handler,
    limit: PerAddressLimit,
    address_of: Callable[[web.Request], str],
    token: SecretStr | None,
) -> Handler:
    """``handler`` behind the BFF's token (when one is set) and a per-address rate limit."""
    expected = token.get_secret_value().encode() if token is not None else None

    async def run(request: web.Request) -> web.Response:
        if expected is not None:
            offered = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
            if not hmac.compare_digest(offered, expected):
                return json_error(401, "unauthorized", "this BFF needs its token (FLUX_BFF_AUTH_TOKEN)")
        if not limit.allow(address_of(request)):
            return json_error(
                429, "rate_limited", "too many contracts requests; slow down", **{"Retry-After": "1"}
            )
        return await handler(request)

    return run
