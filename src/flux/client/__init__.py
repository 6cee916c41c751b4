"""Python client of the Flux BFF (python-socketio ``AsyncClient``) with typed callbacks.

Example:
    >>> async def main() -> None:  # doctest: +SKIP
    ...     async with FluxClient("http://127.0.0.1:8000") as flux:
    ...         flux.on_weather(lambda update: print(update.data["observation"]))
    ...         await flux.set_location("Delhi", 28.61, 77.2)
    ...         await flux.subscribe("crypto.global")
    ...         await flux.wait()
"""

from flux.client.client import Ack, ClientRequestError, FluxClient
from flux.client.update import Update, UpdateKind

__all__ = ["Ack", "ClientRequestError", "FluxClient", "Update", "UpdateKind"]
