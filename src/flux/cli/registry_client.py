"""The few Confluent REST calls ``flux registry subjects|show|diff`` make, with errors as exit codes.

Works against any Confluent-compatible registry (Flux's own, Confluent's, Karapace) at
``FLUX_REGISTRY_URL``, with ``FLUX_REGISTRY_BASIC_AUTH`` (``user:password``) when set. Every
failure becomes a :class:`~flux.cli.errors.CliError`: unknown subject or version → not found (3),
an invalid version → usage (2), no answer or a 5xx → unavailable (4), anything else → failed (1).
The request and answer shapes (:class:`SchemaVersion`, the compatibility request, the level) are
shared with the BFF's contracts browser, in :mod:`flux.schema_tools.registry_rest`.

Example:
    >>> with RegistryHttp.from_settings(Settings()) as registry:  # doctest: +SKIP
    ...     registry.subjects(prefix="weather.")
    ['weather.service.command.fetch-value', 'weather.service.event.updated-value']
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import httpx

from flux.cli.errors import CliError, ExitCode
from flux.schema_tools.registry_rest import SchemaVersion, compatibility_request, level_of
from flux.schemas.error_codes import ErrorCode, is_not_found
from flux.settings import Settings

__all__ = ["REGISTRY_TIMEOUT_S", "RegistryHttp", "SchemaVersion"]

REGISTRY_TIMEOUT_S: Final = 10.0
"""Seconds per request before the registry counts as unavailable."""

CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"


class RegistryHttp:
    """A small synchronous client of the registry's REST API (see the module docs).

    Args:
        client: An ``httpx.Client`` whose ``base_url`` is the registry.
        url: The registry URL, for error messages.
    """

    __slots__ = ("_client", "url")

    def __init__(self, client: httpx.Client, url: str) -> None:
        self._client = client
        self.url = url

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        timeout_s: float = REGISTRY_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> RegistryHttp:
        """A client of ``settings.registry_url`` with its basic-auth credentials, if any.

        Args:
            settings: ``FLUX_REGISTRY_URL`` and ``FLUX_REGISTRY_BASIC_AUTH`` (``user:password``).
            timeout_s: Per request.
            transport: Another HTTP transport (tests).
        """
        url = settings.registry_url.rstrip("/")
        auth = None
        if settings.registry_basic_auth is not None:
            user, _, password = settings.registry_basic_auth.get_secret_value().partition(":")
            auth = httpx.BasicAuth(user, password)
        client = httpx.Client(
            base_url=url,
            auth=auth,
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": CONTENT_TYPE, "Content-Type": CONTENT_TYPE},
        )
        return cls(client, url)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.close()

    # ------------------------------------------------------------------ calls
    def subjects(self, *, prefix: str | None = None, deleted: bool = False) -> list[str]:
        """Subject names (``GET /subjects``), soft-deleted ones too when ``deleted``."""
        params: dict[str, str] = {}
        if prefix:
            params["subjectPrefix"] = prefix
        if deleted:
            params["deleted"] = "true"
        return [str(s) for s in self._call("GET", "/subjects", params=params)]

    def versions(self, subject: str) -> list[int]:
        """The live version numbers of ``subject``."""
        return [int(v) for v in self._call("GET", f"/subjects/{_seg(subject)}/versions", subject=subject)]

    def version(self, subject: str, version: str) -> SchemaVersion:
        """One version (``N``, ``latest`` or ``-1``) of ``subject``."""
        body = self._call(
            "GET", f"/subjects/{_seg(subject)}/versions/{_seg(version)}", subject=subject, version=version
        )
        return SchemaVersion.from_json(body)

    def level(self, subject: str) -> str:
        """The subject's effective compatibility level (its own, else the global one)."""
        body = self._call(
            "GET", f"/config/{_seg(subject)}", params={"defaultToGlobal": "true"}, subject=subject
        )
        return level_of(body)

    def check_compatibility(
        self, subject: str, against: int, schema: SchemaVersion
    ) -> tuple[bool, list[str]]:
        """Is ``schema`` compatible with version ``against`` of ``subject`` at the subject's level?

        Returns:
            The verdict and the registry's messages (``verbose=true``).
        """
        body = self._call(
            "POST",
            f"/compatibility/subjects/{_seg(subject)}/versions/{against}",
            params={"verbose": "true"},
            json=compatibility_request(schema),
            subject=subject,
            version=str(against),
        )
        return bool(body.get("is_compatible")), [str(m) for m in body.get("messages") or []]

    # --------------------------------------------------------------- plumbing
    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        subject: str | None = None,
        version: str | None = None,
    ) -> Any:
        try:
            response = self._client.request(method, path, params=params, json=json)
        except httpx.TimeoutException:
            raise CliError(
                f"the schema registry at {self.url} did not answer in time (check FLUX_REGISTRY_URL)",
                ExitCode.UNAVAILABLE,
            ) from None
        except httpx.TransportError as exc:
            raise CliError(
                f"cannot reach the schema registry at {self.url}: {exc} (check FLUX_REGISTRY_URL)",
                ExitCode.UNAVAILABLE,
            ) from None
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise CliError(f"the schema registry at {self.url} sent a body that is not JSON") from None
        raise self._error(response, subject, version)

    def _error(self, response: httpx.Response, subject: str | None, version: str | None) -> CliError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error_code") if isinstance(body, dict) else None
        message = (body.get("message") if isinstance(body, dict) else None) or response.text[:200]
        status = response.status_code
        if code == ErrorCode.SUBJECT_NOT_FOUND:
            return CliError(
                f"subject {subject!r} not found in the registry at {self.url}", ExitCode.NOT_FOUND
            )
        if code == ErrorCode.VERSION_NOT_FOUND:
            return CliError(f"subject {subject!r} has no version {version}", ExitCode.NOT_FOUND)
        if code == ErrorCode.INVALID_VERSION:
            return CliError(f"invalid version {version!r}: {message}", ExitCode.USAGE)
        if is_not_found(code, status):
            return CliError(f"not found: {message}", ExitCode.NOT_FOUND)
        if status in (401, 403):
            return CliError(
                f"the schema registry at {self.url} refused access (HTTP {status}: {message}); "
                "check FLUX_REGISTRY_BASIC_AUTH",
                ExitCode.FAILED,
            )
        if status >= 500:
            return CliError(
                f"the schema registry at {self.url} is unavailable (HTTP {status}: {message})",
                ExitCode.UNAVAILABLE,
            )
        return CliError(
            f"the schema registry at {self.url} answered HTTP {status}: {message}", ExitCode.FAILED
        )


def _seg(text: str) -> str:
    """``text`` as one URL path segment (subjects may hold ``/`` or ``:``)."""
    return quote(text, safe="")
