"""A small Confluent-compatible registry for the contracts browser's unit tests (an aiohttp server).

It answers the read-only calls the BFF makes (``/subjects``, versions, ``/config``, the
compatibility check), records every request, and can be made slow or failing.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.unit.bff.bff_unit_harness import free_port

NEWS = "news.service.event.updated-value"
FETCH = "weather.service.command.fetch-value"

NEWS_V1 = {
    "type": "record",
    "name": "NewsUpdated",
    "fields": [{"name": "title", "type": "string"}],
}
NEWS_V2 = {
    "type": "record",
    "name": "NewsUpdated",
    "fields": [
        {"name": "title", "type": "string"},
        {"name": "summary", "type": ["null", "string"], "default": None},
    ],
}
RULE_SET = {
    "domainRules": [
        {
            "name": "titlesNonEmpty",
            "doc": "Every headline has text.",
            "kind": "CONDITION",
            "mode": "WRITEREAD",
            "type": "CEL",
            "expr": "size(message.title) > 0",
            "onFailure": "DLQ,ERROR",
        }
    ],
    "migrationRules": [
        {"name": "addSummary", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA", "expr": "$"}
    ],
}
METADATA = {
    "properties": {"owner": "news-service", "owner.team": "flux-news", "feed.token": "s3cret"},
    "sensitive": ["feed.token"],
}


def _version(subject: str, number: int, schema_id: int, schema: Any, **extra: Any) -> dict[str, Any]:
    text = schema if isinstance(schema, str) else json.dumps(schema, separators=(",", ":"))
    return {
        "subject": subject,
        "version": number,
        "id": schema_id,
        "schemaType": "AVRO",
        "schema": text,
        **extra,
    }


@dataclass
class FakeRegistry:
    """The registry's state, what it was asked, and how it misbehaves."""

    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    global_level: str = "BACKWARD"
    incompatible: set[tuple[str, int]] = field(default_factory=set)
    """(subject, against version) pairs the compatibility check refuses."""
    requests: list[str] = field(default_factory=list)
    posted: list[Any] = field(default_factory=list)
    delay_s: float = 0.0
    fail_status: int | None = None
    url: str = ""

    @classmethod
    def with_news(cls) -> FakeRegistry:
        return cls(
            versions={
                NEWS: [
                    _version(NEWS, 1, 11, NEWS_V1, metadata=METADATA),
                    _version(NEWS, 2, 12, NEWS_V2, metadata=METADATA, ruleSet=RULE_SET),
                ],
                FETCH: [_version(FETCH, 1, 5, {"type": "record", "name": "FetchWeather", "fields": []})],
            },
            levels={NEWS: "FULL"},
        )

    def asked(self, fragment: str) -> int:
        return sum(1 for r in self.requests if fragment in r)

    # ------------------------------------------------------------ handlers
    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path_qs}")
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_status is not None:
            return web.json_response({"error_code": 50001, "message": "store error"}, status=self.fail_status)
        response: web.StreamResponse = await handler(request)
        return response

    @staticmethod
    def _missing(code: int, message: str) -> web.Response:
        return web.json_response({"error_code": code, "message": message}, status=404)

    def _entry(self, request: web.Request) -> dict[str, Any] | web.Response:
        subject = request.match_info["subject"]
        if subject not in self.versions:
            return self._missing(40401, f"Subject '{subject}' not found.")
        raw = request.match_info["version"]
        listed = self.versions[subject]
        if raw in ("latest", "-1"):
            return listed[-1]
        for entry in listed:
            if str(entry["version"]) == raw:
                return entry
        return self._missing(40402, f"Version {raw} not found.")

    async def subjects(self, _: web.Request) -> web.Response:
        return web.json_response(sorted(self.versions))

    async def list_versions(self, request: web.Request) -> web.Response:
        subject = request.match_info["subject"]
        if subject not in self.versions:
            return self._missing(40401, f"Subject '{subject}' not found.")
        return web.json_response([v["version"] for v in self.versions[subject]])

    async def get_version(self, request: web.Request) -> web.Response:
        entry = self._entry(request)
        return entry if isinstance(entry, web.Response) else web.json_response(entry)

    async def subject_config(self, request: web.Request) -> web.Response:
        level = self.levels.get(request.match_info["subject"])
        if level is None:
            return self._missing(40408, "Subject does not have subject-level compatibility configured")
        return web.json_response({"compatibilityLevel": level})

    async def global_config(self, _: web.Request) -> web.Response:
        return web.json_response({"compatibilityLevel": self.global_level})

    async def compatibility(self, request: web.Request) -> web.Response:
        entry = self._entry(request)
        if isinstance(entry, web.Response):
            return entry
        self.posted.append(await request.json())
        against = (request.match_info["subject"], int(entry["version"]))
        if against in self.incompatible:
            return web.json_response(
                {"is_compatible": False, "messages": ["READER_FIELD_MISSING_DEFAULT_VALUE"]}
            )
        return web.json_response({"is_compatible": True, "messages": []})

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._misbehave])
        app.router.add_get("/subjects", self.subjects)
        app.router.add_get("/subjects/{subject}/versions", self.list_versions)
        app.router.add_get("/subjects/{subject}/versions/{version}", self.get_version)
        app.router.add_get("/config/{subject}", self.subject_config)
        app.router.add_get("/config", self.global_config)
        app.router.add_post("/compatibility/subjects/{subject}/versions/{version}", self.compatibility)
        return app


async def serve(registry: FakeRegistry) -> web.AppRunner:
    """Start ``registry`` on a free port (its ``url`` is set); the caller cleans the runner up."""
    runner = web.AppRunner(registry.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    registry.url = f"http://127.0.0.1:{port}"
    return runner
