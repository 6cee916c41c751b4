"""``/config`` and ``/mode``, global and per subject, in Confluent's shapes.

Configs read back as ``{"compatibilityLevel", ...}``; updates answer with the resulting config
under ``"compatibility"`` (Confluent echoes a ``ConfigUpdateRequest``). ``/config/:.:`` is the
global config; ``/config/:.ctx:`` (or ``/contexts/.ctx/config``) a context's own. An update with
no body at all changes nothing and answers the config as it is.
"""

from __future__ import annotations

from aiohttp import web

from flux.registry.core.requests import config_update
from flux.registry.core.service import RegistryService
from flux.registry.core.subject_config import LEVEL_KEY, LEVEL_UPDATE_KEY

from ..http import json_response, query_bool, read_json_object
from .prefix import Routes, request_context

__all__ = ["ConfigRoutes"]


class ConfigRoutes:
    """Handlers of Confluent's config and mode resources."""

    def __init__(self, service: RegistryService) -> None:
        self._config = service.config

    def add_to(self, routes: Routes) -> None:
        for method, path, handler in (
            ("GET", "/config", self.get_global_config),
            ("PUT", "/config", self.put_global_config),
            ("DELETE", "/config", self.delete_global_config),
            ("GET", "/config/{subject}", self.get_subject_config),
            ("PUT", "/config/{subject}", self.put_subject_config),
            ("DELETE", "/config/{subject}", self.delete_subject_config),
            ("GET", "/mode", self.get_global_mode),
            ("PUT", "/mode", self.put_global_mode),
            ("GET", "/mode/{subject}", self.get_subject_mode),
            ("PUT", "/mode/{subject}", self.put_subject_mode),
            ("DELETE", "/mode/{subject}", self.delete_subject_mode),
        ):
            routes.add(method, path, handler)

    def _subject(self, request: web.Request) -> str | None:
        """The key a request acts on: the path's subject, else the prefix's context (None: global)."""
        raw = request.match_info.get("subject")
        if raw is None:
            context = request_context(request)
            raw = None if context == "." else f":{context}:"
        return self._config.scope_key(raw)

    # ------------------------------------------------------------------ /config
    async def _get_config(self, request: web.Request) -> web.Response:
        subject = self._subject(request)
        if subject is None:
            return json_response(self._config.global_config().to_json(LEVEL_KEY))
        config = self._config.subject_config(
            subject, default_to_global=query_bool(request, "defaultToGlobal")
        )
        return json_response(config.to_json(LEVEL_KEY))

    async def _put_config(self, request: web.Request) -> web.Response:
        changes = config_update(await read_json_object(request, empty_is_object=True))
        config = await self._config.set_config(self._subject(request), changes)
        return json_response(config.to_json(LEVEL_UPDATE_KEY))

    async def _delete_config(self, request: web.Request) -> web.Response:
        return json_response((await self._config.delete_config(self._subject(request))).to_json(LEVEL_KEY))

    get_global_config = get_subject_config = _get_config
    put_global_config = put_subject_config = _put_config
    delete_global_config = delete_subject_config = _delete_config

    # ------------------------------------------------------------------ /mode
    async def _get_mode(self, request: web.Request) -> web.Response:
        subject = self._subject(request)
        if subject is None:
            return json_response({"mode": str(self._config.global_mode())})
        mode = self._config.subject_mode(subject, default_to_global=query_bool(request, "defaultToGlobal"))
        return json_response({"mode": str(mode)})

    async def _put_mode(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        subject = self._subject(request)
        mode = await self._config.set_mode(subject, body.get("mode"), force=query_bool(request, "force"))
        return json_response({"mode": str(mode)})

    async def delete_subject_mode(self, request: web.Request) -> web.Response:
        subject = self._subject(request)
        if subject is None:  # DELETE /mode/:.: resets the global mode
            return json_response({"mode": str(await self._config.delete_global_mode())})
        return json_response({"mode": str(await self._config.delete_mode(subject))})

    get_global_mode = get_subject_mode = _get_mode
    put_global_mode = put_subject_mode = _put_mode
