"""Connect-time authentication hook and the connection's user id.

A :data:`ConnectAuth` receives the WSGI-like ``environ`` and the ``auth``
object the client passed to ``io(url, {auth})``; it returns the user id to
bind to the connection, or None to refuse it. Without a configured token,
connections are anonymous: a client-supplied UUID ``auth.userId`` is kept
(so a reconnecting browser keeps its id), otherwise a new UUID is issued.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import SecretStr

__all__ = ["ConnectAuth", "anonymous_user_id", "static_token_auth"]

ConnectAuth = Callable[[Mapping[str, Any], Any], Awaitable[str | None]]


def anonymous_user_id(auth: Any) -> str:
    """The client's own ``userId`` when it is a UUID, otherwise a fresh UUID4."""
    if isinstance(auth, dict):
        candidate = auth.get("userId")
        if isinstance(candidate, str) and len(candidate) <= 64:
            try:
                return str(uuid.UUID(candidate))
            except ValueError:
                pass
    return str(uuid.uuid4())


def static_token_auth(token: SecretStr) -> ConnectAuth:
    """Accept connections whose ``auth.token`` equals ``token`` (constant-time comparison)."""
    expected = token.get_secret_value().encode()

    async def check(environ: Mapping[str, Any], auth: Any) -> str | None:
        del environ
        offered = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(offered, str) or not hmac.compare_digest(offered.encode(), expected):
            return None
        return anonymous_user_id(auth)

    return check
