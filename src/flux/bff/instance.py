"""This instance's name behind a balancer: session ids that say where they live, and a header naming it.

With ``FLUX_BFF_INSTANCE_NAME`` set (the dev stack sets ``bff-1``, ``bff-2``, …)
every Engine.IO session id starts with the name and a dot: ``bff-2.Xk3…``.
Every request of an Engine.IO session after the handshake carries ``sid`` in
its query (each long-poll, each send, the WebSocket upgrade), so a balancer can
pin a session to its instance from the id alone, without cookies, shared state
or the client's address (on loopback every client has the same one). The dev
stack's nginx does exactly that (``flux.devstack.nginx_conf``, ADR-018).
Socket.IO session ids are drawn from the same generator, so a client, a test
or a fault injector can tell from ``sio.sid`` which instance holds a session
(:func:`instance_of`). Every HTTP response also carries
``X-Flux-Bff-Instance``.

Example:
    >>> instance_of("bff-2.Xk3aQ9")
    'bff-2'
    >>> instance_of("Xk3aQ9") is None
    True
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

__all__ = ["INSTANCE_HEADER", "SID_SEPARATOR", "instance_of", "name_this_instance"]

# Not in the base64url alphabet of Engine.IO's ids, and unreserved in URLs (sent unescaped).
SID_SEPARATOR: Final = "."
INSTANCE_HEADER: Final = "X-Flux-Bff-Instance"


def instance_of(sid: str) -> str | None:
    """Name of the instance that issued ``sid``, or None for an untagged id."""
    name, separator, _ = sid.partition(SID_SEPARATOR)
    return name if separator and name else None


def name_this_instance(name: str, eio: Any, app: web.Application) -> None:
    """Tag ``eio``'s session ids with ``name`` and name the instance on every response of ``app``.

    Args:
        name: The instance's name; empty = leave ids and responses unchanged.
        eio: The ``engineio.AsyncServer`` (``sio.eio``).
        app: The aiohttp application serving it.
    """
    if not name:
        return
    untagged = eio.generate_id

    def generate_id() -> str:
        return f"{name}{SID_SEPARATOR}{untagged()}"

    eio.generate_id = generate_id

    async def add_header(_: web.Request, response: web.StreamResponse) -> None:
        response.headers[INSTANCE_HEADER] = name

    app.on_response_prepare.append(add_header)
