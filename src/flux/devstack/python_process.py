"""A Flux process (registry, domain service, BFF) run as ``python -m flux ...`` with an HTTP health probe."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from flux.devstack.component import Component, ComponentStatus

__all__ = ["FluxProcess"]


class FluxProcess(Component):
    """One ``flux`` sub-command as a stack component, ready when ``GET <health_path>`` answers 200."""

    def __init__(
        self,
        name: str,
        home: Path,
        port: int,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        port_setting: str,
        health_path: str = "/health",
        startup_timeout: float = 60.0,
    ) -> None:
        self.name = name
        self.port_setting = port_setting
        self.startup_timeout = startup_timeout
        super().__init__(home, port)
        self.args = list(args)
        self.env = dict(env)
        self.health_path = health_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _launch(self) -> None:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.process.start([sys.executable, "-m", "flux", *self.args], env=env)

    def _probe(self) -> tuple[bool, object]:
        """One ``GET <health_path>``: whether it answered 200, and its JSON body (None if not JSON)."""
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=1.0) as response:  # noqa: S310 - loopback URL we built
                ok = int(response.status) == 200
                try:
                    return ok, json.loads(response.read(64 * 1024))
                except ValueError:
                    return ok, None
        except OSError:
            return False, None

    def ready(self) -> bool:
        return self._probe()[0]

    def status(self) -> ComponentStatus:
        """Like every component's, and ``degraded`` when its health probe says so (a live service
        without its API key, ``flux.observability.probes``): one probe for both."""
        pid = self.process.pid()
        ok, body = self._probe() if pid is not None else (False, None)
        degraded = ok and isinstance(body, dict) and body.get("status") == "degraded"
        return ComponentStatus(self.name, pid, ok, self.url, degraded=degraded)
