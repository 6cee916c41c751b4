"""How the contracts API's failures become JSON errors: ``{"error": {"code", "message"}}``.

400 ``invalid_request`` (:class:`BadRequest`), 404 ``not_found``
(:class:`~flux.bff.registry_reader.RegistryNotFound`), 502 ``registry_refused`` (the registry
rejected the request or sent something unreadable), 503 ``registry_unavailable`` (no answer within
the budget, 5xx, or the breaker is open: then with ``Retry-After``). Anything else that goes wrong
(an answer of a shape nothing expected) is a logged 502, never a bare 500. The registry's address
and the raw error stay in the BFF's log; the browser gets a sentence.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from flux.bff.registry_reader import RegistryNotFound, RegistryRefused
from flux.resilience import (
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamError,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = ["NO_STORE", "BadRequest", "Handler", "guarded", "json_error"]

LOG = logging.getLogger(__name__)

NO_STORE: Final = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

Handler = Callable[[web.Request], Awaitable[web.Response]]


class BadRequest(ValueError):
    """The request itself is wrong (400)."""


def json_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers={**NO_STORE, **headers}
    )


def _unavailable(error: UpstreamError, timeout_s: float) -> web.Response:
    """503 for a registry that cannot answer now; the details (its address) stay in the log."""
    headers: dict[str, str] = {}
    if isinstance(error, UpstreamUnavailable):
        wait = max(1, math.ceil(error.retry_after_s or 1))
        message = f"the schema registry keeps failing; it is asked again in {wait}s"
        headers["Retry-After"] = str(wait)
    elif isinstance(error, UpstreamTimeout):
        message = f"the schema registry did not answer within {timeout_s:g}s"
    elif isinstance(error, UpstreamServerError):
        message = f"the schema registry answered HTTP {error.status}"
    else:
        message = "the schema registry cannot be reached"
    return json_error(503, "registry_unavailable", message, **headers)


def guarded(handler: Handler, timeout_s: float) -> Handler:
    """``handler`` with every failure turned into a JSON error (never a hang: the reader has a budget)."""

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except BadRequest as exc:
            return json_error(400, "invalid_request", str(exc))
        except RegistryNotFound as exc:
            return json_error(404, "not_found", str(exc))
        except (RegistryRefused, UpstreamClientError, UpstreamBadPayload) as exc:
            LOG.warning("the schema registry refused a contracts request: %s", exc)
            return json_error(
                502, "registry_refused", f"the schema registry refused: {getattr(exc, 'message', exc)}"
            )
        except UpstreamError as exc:
            LOG.warning("the schema registry is unavailable to the contracts browser: %s", exc)
            return _unavailable(exc, timeout_s)
        except web.HTTPException:
            raise
        except Exception:  # a registry answer of an unexpected shape must not become a bare 500
            LOG.exception("contracts request failed")
            return json_error(502, "registry_refused", "the schema registry sent an answer Flux cannot read")

    return run
