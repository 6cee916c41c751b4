"""The contracts browser's JSON API, ``/api/contracts/...``, behind the page at ``/contracts``.

* ``GET /api/contracts/topics``: the catalogue's topics with kind, producer, consumers, key and
  value subjects (registered or not), end offsets, messages per second and dead-letter counts;
* ``GET /api/contracts/subjects/{subject}``: versions, the compatibility level (the subject's own
  or the global default, and which), the latest version's metadata, ruleSet and rules as rows;
* ``GET /api/contracts/subjects/{subject}/versions/{v}``: schema text (as registered and pretty),
  schemaType, references, metadata, ruleSet and rules;
* ``GET /api/contracts/subjects/{subject}/diff?from=V1&to=V2``: a line diff of the two pretty
  schemas and the registry's verdict on whether V2 is compatible with V1 at the subject's level.

Inputs are checked before anything is asked: a subject must be the key or value subject
(``<topic>-key``, ``<topic>-value``) of a catalogue topic that carries a schema, a version a
positive whole number or ``latest`` (a number the subject does not have is a 404 without asking
the registry for it). Errors are JSON (:mod:`flux.bff.contracts_errors`): 400, 404, 502 when
the registry refuses, 503 when it cannot answer (never a hang: every call has a budget).
The registry is read through :class:`flux.bff.registry_reader.RegistryReader` (short budget,
breaker, bounded cache); offsets through :class:`flux.bff.topic_rates.TopicRates`. The diff is
the one ``flux registry diff`` prints (:mod:`flux.schema_tools.schema_text`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web
from pydantic import SecretStr

from flux.bff.config import BffSettings
from flux.bff.contracts_access import CONTRACTS_BURST, CONTRACTS_RATE, gated
from flux.bff.contracts_errors import NO_STORE, BadRequest, Handler, guarded
from flux.bff.ratelimit import PerAddressLimit
from flux.bff.registry_reader import RegistryNotFound, RegistryReader, RegistryRefused
from flux.bff.topic_rates import KafkaOffsetReader, RatesView, TopicRates
from flux.catalogue import Catalogue, TopicKind, TopicSpec, load_catalogue
from flux.kafka.config import admin_config
from flux.resilience import UpstreamBadPayload, UpstreamClientError, UpstreamError
from flux.schema_tools.registry_rest import SchemaVersion, public_metadata, rule_rows
from flux.schema_tools.schema_text import diff_lines, pretty_schema, unified_schema_diff
from flux.settings import Settings

__all__ = ["ContractsApi", "add_contract_routes", "contracts_api_from_settings"]

LOG = logging.getLogger(__name__)

SUBJECT_PATTERN: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,248}")
VERSION_PATTERN: Final = re.compile(r"[1-9][0-9]{0,9}")
MAX_VERSION: Final = 2**31 - 1
SCHEMA_KINDS: Final = (TopicKind.COMMAND, TopicKind.EVENT, TopicKind.STREAM)


def _version_text(raw: str | None, name: str) -> int | None:
    """A version parameter: None for ``latest``, else a positive whole number."""
    if raw is None or raw == "":
        raise BadRequest(f"missing parameter: {name} (a version number or 'latest')")
    if raw == "latest":
        return None
    if not VERSION_PATTERN.fullmatch(raw) or int(raw) > MAX_VERSION:
        raise BadRequest(f"{name} must be a positive whole number or 'latest'")
    return int(raw)


class ContractsApi:
    """The handlers over one catalogue, one registry reader and one offset sampler.

    Args:
        catalogue: The topic catalogue; its schema-carrying topics' key and value subjects are the
            only subjects the API asks about.
        registry: Read-only registry client.
        rates: Offsets and rates of the catalogue's topics (dead-letter topics included).
    """

    def __init__(self, catalogue: Catalogue, registry: RegistryReader, rates: TopicRates) -> None:
        self.catalogue = catalogue
        self.registry = registry
        self.rates = rates
        self.topics = tuple(t for t in catalogue.topics if t.kind is not TopicKind.DEAD_LETTER)
        self._subjects: dict[str, tuple[TopicSpec, str]] = {}
        for spec in self.topics:
            if spec.kind in SCHEMA_KINDS:
                self._subjects[f"{spec.name}-key"] = (spec, "key")
                self._subjects[spec.subject] = (spec, "value")

    async def close(self) -> None:
        """Close the registry session and release the Kafka client."""
        await self.registry.close()
        await self.rates.close()

    # ------------------------------------------------------------------ inputs
    def _subject(self, request: web.Request) -> tuple[str, TopicSpec, str]:
        subject = request.match_info.get("subject", "")
        if not SUBJECT_PATTERN.fullmatch(subject):
            raise BadRequest("invalid subject name (letters, digits, '.', '_', '-'; at most 249)")
        known = self._subjects.get(subject)
        if known is None:
            raise BadRequest(f"{subject!r} is not the key or value subject of a catalogue topic")
        return subject, *known

    async def _resolve(self, subject: str, wanted: int | None) -> tuple[int, list[int]]:
        versions = await self.registry.versions(subject)
        if not versions:
            raise RegistryNotFound(f"subject {subject!r} has no live versions")
        if wanted is None:
            return versions[-1], versions
        if wanted not in versions:
            listed = ", ".join(str(v) for v in versions)
            raise RegistryNotFound(f"subject {subject!r} has no version {wanted} (versions: {listed})")
        return wanted, versions

    # ------------------------------------------------------------------ routes
    async def list_topics(self, _: web.Request) -> web.Response:
        view, (registered, registry_error) = await asyncio.gather(self.rates.sample(), self._registered())
        body = {
            "sampledAt": view.sampled_at_ms,
            "windowSeconds": view.window_s,
            "kafka": {"available": view.available, "error": None if view.available else view.error},
            "registry": {"available": registered is not None, "error": registry_error},
            "topics": [self._topic_json(spec, view, registered) for spec in self.topics],
        }
        return web.json_response(body, headers=NO_STORE)

    async def subject(self, request: web.Request) -> web.Response:
        subject, spec, role = self._subject(request)
        latest_number, versions = await self._resolve(subject, None)
        latest, (level, source) = await asyncio.gather(
            self.registry.version(subject, latest_number), self.registry.level(subject)
        )
        body = {
            "subject": subject,
            "topic": spec.name,
            "role": role,
            "versions": versions,
            "latest": {"version": latest.version, "id": latest.schema_id, "schemaType": latest.schema_type},
            "compatibility": {"level": level, "source": source},
            **_contract(latest),
        }
        return web.json_response(body, headers=NO_STORE)

    async def version(self, request: web.Request) -> web.Response:
        subject, spec, _ = self._subject(request)
        number, _ = await self._resolve(subject, _version_text(request.match_info.get("version"), "version"))
        found = await self.registry.version(subject, number)
        body = {
            "subject": subject,
            "topic": spec.name,
            "version": found.version,
            "id": found.schema_id,
            "schemaType": found.schema_type,
            "schema": found.schema,
            "pretty": pretty_schema(found.schema, found.schema_type),
            "references": list(found.references),
            **_contract(found),
        }
        return web.json_response(body, headers=NO_STORE)

    async def diff(self, request: web.Request) -> web.Response:
        subject, _, _ = self._subject(request)
        wanted_from = _version_text(request.query.get("from"), "from")
        wanted_to = _version_text(request.query.get("to"), "to")
        old_number, _ = await self._resolve(subject, wanted_from)
        new_number, _ = await self._resolve(subject, wanted_to)
        old, new, (level, source) = await asyncio.gather(
            self.registry.version(subject, old_number),
            self.registry.version(subject, new_number),
            self.registry.level(subject),
        )
        compatible, messages = await self.registry.check_compatibility(subject, old.version, new)
        unified = unified_schema_diff(
            old.schema,
            old.schema_type,
            new.schema,
            new.schema_type,
            from_label=_label(old),
            to_label=_label(new),
        )
        body = {
            "subject": subject,
            "from": {"version": old.version, "id": old.schema_id},
            "to": {"version": new.version, "id": new.schema_id},
            "compatibility": {
                "level": level,
                "source": source,
                "compatible": compatible,
                "messages": messages,
            },
            "identical": unified == "",
            "unified": unified,
            "lines": [line.to_json() for line in diff_lines(unified)],
        }
        return web.json_response(body, headers=NO_STORE)

    # ----------------------------------------------------------------- helpers
    async def _registered(self) -> tuple[frozenset[str] | None, str | None]:
        """The registry's subjects, or None and why (the topic list works without the registry)."""
        try:
            return frozenset(await self.registry.subjects()), None
        except (UpstreamError, RegistryNotFound, RegistryRefused) as exc:
            LOG.warning("the contracts browser could not list the registry's subjects: %s", exc)
            if isinstance(exc, UpstreamError) and not isinstance(
                exc, UpstreamClientError | UpstreamBadPayload
            ):
                return None, "the schema registry is unavailable"
            return None, "the schema registry refused to list its subjects"

    def _topic_json(
        self, spec: TopicSpec, view: RatesView, registered: frozenset[str] | None
    ) -> dict[str, Any]:
        def subject(name: str | None) -> dict[str, Any]:
            known = None if registered is None or name is None else name in registered
            return {"subject": name, "registered": known}

        carries = spec.kind in SCHEMA_KINDS
        rate = view.topics.get(spec.name)
        dlq = view.topics.get(spec.dead_letter) if spec.dead_letter else None
        return {
            "name": spec.name,
            "kind": str(spec.kind),
            "domain": spec.domain,
            "producer": spec.producer,
            "consumers": list(spec.consumers),
            "partitions": spec.partitions,
            "cleanupPolicy": spec.cleanup_policy,
            "retentionMs": spec.retention_ms,
            "key": {"description": spec.key, **subject(f"{spec.name}-key" if carries else None)},
            "value": subject(spec.subject if carries else None),
            "endOffset": rate.end_offset if rate else None,
            "messagesPerSecond": rate.per_second if rate else None,
            "deadLetter": None
            if spec.dead_letter is None
            else {
                "name": spec.dead_letter,
                "records": dlq.records if dlq else None,
                "endOffset": dlq.end_offset if dlq else None,
                "messagesPerSecond": dlq.per_second if dlq else None,
            },
        }

    def routes(self) -> list[tuple[str, Handler]]:
        """The API's paths and handlers, each guarded (see the module docs)."""
        budget = self.registry.timeout_s
        return [
            ("/api/contracts/topics", guarded(self.list_topics, budget)),
            ("/api/contracts/subjects/{subject}", guarded(self.subject, budget)),
            ("/api/contracts/subjects/{subject}/versions/{version}", guarded(self.version, budget)),
            ("/api/contracts/subjects/{subject}/diff", guarded(self.diff, budget)),
        ]


def _contract(version: SchemaVersion) -> dict[str, Any]:
    """A version's data contract as the page shows it (sensitive metadata values masked)."""
    return {
        "metadata": public_metadata(version.metadata),
        "ruleSet": version.rule_set,
        "rules": rule_rows(version.rule_set),
    }


def _label(version: SchemaVersion) -> str:
    return f"{version.subject} v{version.version} (id {version.schema_id})"


def contracts_api_from_settings(settings: Settings, bff_settings: BffSettings) -> ContractsApi:
    """The API over the installed catalogue, the registry at ``FLUX_REGISTRY_URL`` and Kafka."""
    catalogue = load_catalogue()
    auth = settings.registry_basic_auth
    registry = RegistryReader(
        settings.registry_url,
        basic_auth=auth.get_secret_value() if auth is not None else None,
        timeout_s=bff_settings.registry_timeout_seconds,
        cache_seconds=bff_settings.registry_cache_seconds,
        cache_entries=bff_settings.registry_cache_entries,
    )
    budget = bff_settings.offsets_timeout_seconds
    rates = TopicRates(
        catalogue.names(),
        KafkaOffsetReader({**admin_config(settings), "client.id": "flux-bff-contracts"}, timeout_s=budget),
        min_interval_s=bff_settings.offsets_min_interval_seconds,
        timeout_s=3 * budget + 1,  # a metadata request and two ListOffsets, each within the budget
    )
    return ContractsApi(catalogue, registry, rates)


def add_contract_routes(
    app: web.Application,
    api: ContractsApi,
    *,
    address_of: Callable[[web.Request], str] = lambda r: r.remote or "unknown",
    token: SecretStr | None = None,
    rate: float = CONTRACTS_RATE,
    burst: int = CONTRACTS_BURST,
) -> ContractsApi:
    """Register the ``/api/contracts/...`` routes of ``api`` on ``app``, behind ``token`` (the BFF's
    ``FLUX_BFF_AUTH_TOKEN``, as ``Authorization: Bearer``) and a per-address rate limit; close the
    API on cleanup."""
    limit = PerAddressLimit(rate, burst)
    for path, handler in api.routes():
        app.router.add_get(path, gated(handler, limit, address_of, token))

    async def close(_: web.Application) -> None:
        await api.close()

    app.on_cleanup.append(close)
    return api
