"""``/compatibility/subjects/{subject}/versions[/{version}]``: would this schema be accepted?"""

from __future__ import annotations

from aiohttp import web

from flux.registry.core.requests import parse_version, schema_request
from flux.registry.core.service import RegistryService

from ..http import json_response, query_bool, read_json_object
from .prefix import Routes

__all__ = ["CompatibilityRoutes"]


class CompatibilityRoutes:
    """Handlers of Confluent's compatibility resource."""

    def __init__(self, service: RegistryService) -> None:
        self._compatibility = service.compatibility

    def add_to(self, routes: Routes) -> None:
        routes.add("POST", "/compatibility/subjects/{subject}/versions", self.check_all)
        routes.add("POST", "/compatibility/subjects/{subject}/versions/{version}", self.check_version)

    async def _check(self, request: web.Request, version: int | None) -> web.Response:
        body = await read_json_object(request)
        problems = self._compatibility.check(request.match_info["subject"], version, schema_request(body))
        result: dict[str, object] = {"is_compatible": not problems}
        if query_bool(request, "verbose"):
            result["messages"] = problems
        return json_response(result)

    async def check_all(self, request: web.Request) -> web.Response:
        return await self._check(request, None)

    async def check_version(self, request: web.Request) -> web.Response:
        return await self._check(request, parse_version(request.match_info["version"]))
