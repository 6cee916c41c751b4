"""The contracts browser's read-only calls to the schema registry's REST API, over aiohttp.

The BFF already decodes through the registry (the serde); the contracts browser (``/contracts``,
:mod:`flux.bff.contracts_api`) also shows what the registry holds: subjects, versions, the
compatibility level, data contracts and the registry's verdict on two versions. Those calls go
through :class:`RegistryReader`, which works against any Confluent-compatible registry at
``FLUX_REGISTRY_URL`` (with ``FLUX_REGISTRY_BASIC_AUTH``) and never lets the page hang on it:

* every call has a short budget (``FLUX_BFF_REGISTRY_TIMEOUT_SECONDS``) and is not retried;
* a circuit breaker (:class:`flux.resilience.CircuitBreaker`) stops asking a registry that keeps
  failing, for a few seconds, so a down registry costs nothing per request;
* answers, "not found" included, are kept for ``FLUX_BFF_REGISTRY_CACHE_SECONDS`` in a
  size-bounded cache (:class:`flux.resilience.coalesce.CoalescingCache`) that also shares one call
  among concurrent identical requests, so a page refresh does not hammer the registry.

A registry that does not answer, answers 5xx or is behind an open breaker raises
:class:`flux.resilience.UpstreamError` (the API answers 503); an unknown subject or version raises
:class:`RegistryNotFound` (404); anything else the registry refuses raises
:class:`RegistryRefused` (502). Request and answer shapes come from
:mod:`flux.schema_tools.registry_rest`, shared with ``flux registry show|diff``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from flux.resilience import (
    CircuitBreaker,
    RetryPolicy,
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamConnectionError,
    UpstreamPolicy,
    UpstreamServerError,
    UpstreamTimeout,
)
from flux.resilience.coalesce import CoalescingCache
from flux.schema_tools.registry_rest import SchemaVersion, compatibility_request, level_of
from flux.schemas.error_codes import ErrorCode

__all__ = ["RegistryNotFound", "RegistryReader", "RegistryRefused"]

UPSTREAM: Final = "schema-registry"
CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"
MAX_ANSWER_BYTES: Final = 4 << 20
"""Largest registry answer read (a schema with its rules is far smaller)."""


class RegistryNotFound(LookupError):
    """The registry has no such subject or version."""


class RegistryRefused(RuntimeError):
    """The registry refused a request for another reason than its own health (4xx, bad body)."""


@dataclass(frozen=True, slots=True)
class _Answer:
    """A registry answer worth caching: 200 with its body, or 404 with Confluent's error code."""

    status: int
    body: Any
    error_code: int | None = None


def _seg(text: str) -> str:
    return quote(text, safe="")


class RegistryReader:
    """Read-only registry calls with a budget, a breaker and a short cache (see the module docs).

    Args:
        url: The registry's base URL.
        basic_auth: ``user:password``, or None.
        timeout_s: Budget of one call.
        cache_seconds: How long an answer is reused.
        cache_entries: Most answers kept.
        breaker_failures: Consecutive failures that open the breaker.
        breaker_reset_seconds: How long it stays open before a probe.
        clock: Monotonic clock (tests).
    """

    def __init__(
        self,
        url: str,
        *,
        basic_auth: str | None = None,
        timeout_s: float = 2.0,
        cache_seconds: float = 5.0,
        cache_entries: int = 512,
        breaker_failures: int = 3,
        breaker_reset_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url.rstrip("/")
        self._auth = None
        if basic_auth is not None:
            user, _, password = basic_auth.partition(":")
            self._auth = aiohttp.BasicAuth(user, password)
        self.timeout_s = timeout_s
        self.breaker = CircuitBreaker(
            UPSTREAM, failure_threshold=breaker_failures, reset_timeout_s=breaker_reset_seconds, clock=clock
        )
        self._policy = UpstreamPolicy(
            UPSTREAM,
            retry=RetryPolicy(max_attempts=1),
            breaker=self.breaker,
            timeout_s=timeout_s,
            max_concurrent=4,
        )
        self.cache: CoalescingCache[tuple[str, ...], _Answer] = CoalescingCache(
            cache_seconds, max_entries=cache_entries, clock=clock
        )
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ calls
    async def subjects(self) -> list[str]:
        """Every live subject (``GET /subjects``)."""
        answer = await self._get(("subjects",), "/subjects")
        found = self._found(answer, "the registry lists no subjects")
        if not isinstance(found, list):
            raise RegistryRefused("the registry's subject list is not a list")
        return [str(s) for s in found]

    async def versions(self, subject: str) -> list[int]:
        """The live versions of ``subject``, oldest first."""
        answer = await self._get(("versions", subject), f"/subjects/{_seg(subject)}/versions")
        found = self._found(answer, f"subject {subject!r} is not registered")
        if not isinstance(found, list) or not all(type(v) is int for v in found):
            raise RegistryRefused(f"the registry's versions of {subject!r} are not a list of numbers")
        return sorted(found)

    async def version(self, subject: str, version: int) -> SchemaVersion:
        """Version ``version`` of ``subject``, with its references, metadata and ruleSet."""
        answer = await self._get(
            ("version", subject, str(version)), f"/subjects/{_seg(subject)}/versions/{version}"
        )
        body = self._found(answer, f"subject {subject!r} has no version {version}")
        try:
            return SchemaVersion.from_json(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RegistryRefused(f"the registry sent a malformed version ({type(exc).__name__})") from None

    async def level(self, subject: str) -> tuple[str, str]:
        """The subject's effective compatibility level and where it comes from (``subject`` or ``global``)."""
        own = await self._get(("config", subject), f"/config/{_seg(subject)}")
        if own.status == 200:
            return level_of(own.body), "subject"
        default = await self._get(("config",), "/config")
        return level_of(self._found(default, "the registry has no global config")), "global"

    async def check_compatibility(
        self, subject: str, against: int, schema: SchemaVersion
    ) -> tuple[bool, list[str]]:
        """Is ``schema`` compatible with version ``against`` of ``subject`` at the subject's level?

        Returns:
            The registry's verdict and its messages (``verbose=true``).
        """
        answer = await self._call(
            ("compatibility", subject, str(against), str(schema.schema_id)),
            "POST",
            f"/compatibility/subjects/{_seg(subject)}/versions/{against}",
            params={"verbose": "true"},
            payload=compatibility_request(schema),
        )
        body = self._found(answer, f"subject {subject!r} has no version {against}")
        if not isinstance(body, dict):
            raise RegistryRefused("the registry's compatibility answer is not an object")
        return bool(body.get("is_compatible")), [str(m) for m in body.get("messages") or []]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --------------------------------------------------------------- plumbing
    @staticmethod
    def _found(answer: _Answer, missing: str) -> Any:
        if answer.status != 200:
            raise RegistryNotFound(missing)
        return answer.body

    async def _get(self, key: tuple[str, ...], path: str) -> _Answer:
        return await self._call(key, "GET", path)

    async def _call(
        self,
        key: tuple[str, ...],
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        payload: Any = None,
    ) -> _Answer:
        async def fetch() -> _Answer:
            return await self._policy.call(lambda: self._request(method, path, params, payload))

        return await self.cache.get(key, fetch)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                auth=self._auth,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                headers={"Accept": CONTENT_TYPE},
                connector=aiohttp.TCPConnector(limit=8),
            )
        return self._session

    async def _request(self, method: str, path: str, params: dict[str, str] | None, payload: Any) -> _Answer:
        data = None if payload is None else json.dumps(payload).encode()
        headers = {} if data is None else {"Content-Type": CONTENT_TYPE}
        try:
            async with self._http().request(
                method, self.url + path, params=params, data=data, headers=headers
            ) as response:
                raw = await _read_capped(response)
                status = response.status
        except TimeoutError as exc:  # aiohttp's own timeout (ServerTimeoutError is one too)
            raise UpstreamTimeout(UPSTREAM, f"no answer within {self.timeout_s:g}s") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamConnectionError(
                UPSTREAM, f"cannot reach {self.url}: {exc or type(exc).__name__}"
            ) from exc
        except OSError as exc:
            raise UpstreamConnectionError(UPSTREAM, f"cannot reach {self.url}: {exc}") from exc
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        code = body.get("error_code") if isinstance(body, dict) else None
        # The registry's own error message when it sent one; never its raw body (it reaches the page).
        message = str((body.get("message") if isinstance(body, dict) else None) or f"HTTP {status}")
        if status == 200:
            if body is None:
                raise UpstreamBadPayload(UPSTREAM, "the answer is not JSON")
            return _Answer(200, body)
        if status == 404:
            return _Answer(404, body, code if isinstance(code, int) else None)
        if status >= 500:
            raise UpstreamServerError(UPSTREAM, f"HTTP {status}: {message}", status=status)
        if status in (401, 403):
            message = f"refused access (HTTP {status}: {message}); check FLUX_REGISTRY_BASIC_AUTH"
        elif code == ErrorCode.INVALID_VERSION:
            message = f"invalid version: {message}"
        raise UpstreamClientError(UPSTREAM, message, status=status)


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """The whole body, however many reads it arrives in; more than :data:`MAX_ANSWER_BYTES` is refused."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise UpstreamBadPayload(UPSTREAM, f"answer larger than {MAX_ANSWER_BYTES} bytes")
    return bytes(body)
