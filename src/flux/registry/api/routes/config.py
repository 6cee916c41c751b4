"""``/config`` and ``/mode``, global and per subject, in Confluent's shapes.

Configs read back as ``{"compatibilityLevel", ...}``; updates answer with the resulting config
under ``"compatibility"`` (Confluent echoes a ``ConfigUpdateRequest``).
"""

from __future__ import annotations

from aiohttp import web

from flux.registry.core.requests import config_update
from flux.registry.core.service import RegistryService
from flux.registry.core.subject_config import LEVEL_KEY, LEVEL_UPDATE_KEY

from ..http import json_response, query_bool, read_json_object

__all__ = ["ConfigRoutes"]


class ConfigRoutes:
    """Handlers of Confluent's config and mode resources."""

    def __init__(self, service: RegistryService) -> None:
        self._config = service.config

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_get("/config", self.get_global_config)
        router.add_put("/config", self.put_global_config)
        router.add_delete("/config", self.delete_global_config)
        router.add_get("/config/{subject}", self.get_subject_config)
        router.add_put("/config/{subject}", self.put_subject_config)
        router.add_delete("/config/{subject}", self.delete_subject_config)
        router.add_get("/mode", self.get_global_mode)
        router.add_put("/mode", self.put_global_mode)
        router.add_get("/mode/{subject}", self.get_subject_mode)
        router.add_put("/mode/{subject}", self.put_subject_mode)
        router.add_delete("/mode/{subject}", self.delete_subject_mode)

    # ------------------------------------------------------------------ /config
    async def get_global_config(self, request: web.Request) -> web.Response:
        return json_response(self._config.global_config().to_json(LEVEL_KEY))

    async def _put_config(self, request: web.Request, subject: str | None) -> web.Response:
        changes = config_update(await read_json_object(request))
        config = await self._config.set_config(subject, changes)
        return json_response(config.to_json(LEVEL_UPDATE_KEY))

    async def put_global_config(self, request: web.Request) -> web.Response:
        return await self._put_config(request, None)

    async def delete_global_config(self, request: web.Request) -> web.Response:
        return json_response((await self._config.delete_config(None)).to_json(LEVEL_KEY))

    async def get_subject_config(self, request: web.Request) -> web.Response:
        config = self._config.subject_config(
            request.match_info["subject"], default_to_global=query_bool(request, "defaultToGlobal")
        )
        return json_response(config.to_json(LEVEL_KEY))

    async def put_subject_config(self, request: web.Request) -> web.Response:
        return await self._put_config(request, request.match_info["subject"])

    async def delete_subject_config(self, request: web.Request) -> web.Response:
        return json_response(
            (await self._config.delete_config(request.match_info["subject"])).to_json(LEVEL_KEY)
        )

    # ------------------------------------------------------------------ /mode
    async def get_global_mode(self, request: web.Request) -> web.Response:
        return json_response({"mode": str(self._config.global_mode())})

    async def _put_mode(self, request: web.Request, subject: str | None) -> web.Response:
        body = await read_json_object(request)
        mode = await self._config.set_mode(subject, body.get("mode"), force=query_bool(request, "force"))
        return json_response({"mode": str(mode)})

    async def put_global_mode(self, request: web.Request) -> web.Response:
        return await self._put_mode(request, None)

    async def get_subject_mode(self, request: web.Request) -> web.Response:
        mode = self._config.subject_mode(
            request.match_info["subject"], default_to_global=query_bool(request, "defaultToGlobal")
        )
        return json_response({"mode": str(mode)})

    async def put_subject_mode(self, request: web.Request) -> web.Response:
        return await self._put_mode(request, request.match_info["subject"])

    async def delete_subject_mode(self, request: web.Request) -> web.Response:
        return json_response({"mode": str(await self._config.delete_mode(request.match_info["subject"]))})
