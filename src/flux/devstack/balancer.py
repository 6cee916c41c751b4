"""nginx in front of several BFF instances: the dev stack's load balancer (ADR-018).

Debian's ``nginx`` package provides the binary (``/usr/sbin/nginx``;
``scripts/install-system-deps.sh`` installs it). The stack writes the
configuration into ``<home>/balancer/`` on every start
(:func:`flux.devstack.nginx_conf.render_nginx_conf`), checks it with
``nginx -t``, and runs nginx in the foreground as one more process of the stack:
own PID file, log in ``<home>/logs/bff-balancer.log``, stopped by
``flux dev down``, tethered in throw-away stacks.

Example:
    >>> lb = BffBalancer(Path(".flux"), 8000, [("bff-1", 8011), ("bff-2", 8012)])  # doctest: +SKIP
    >>> lb.start(); lb.wait_ready()  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from flux.devstack.component import Component
from flux.devstack.errors import DevStackError
from flux.devstack.nginx_conf import STATUS_PATH, render_nginx_conf

__all__ = ["BffBalancer", "find_nginx"]

DEBIAN_NGINX: Final = Path("/usr/sbin/nginx")


def find_nginx() -> str | None:
    """Path of the nginx binary: on PATH, else Debian's (``/usr/sbin`` is not on every user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return str(DEBIAN_NGINX) if DEBIAN_NGINX.is_file() else None


class BffBalancer(Component):
    """nginx on ``127.0.0.1:<port>`` (the BFF's public port) balancing ``instances`` (name, port)."""

    name = "bff-balancer"
    port_setting = "FLUX_BFF_PORT"
    startup_timeout = 15.0

    def __init__(self, home: Path, port: int, instances: Sequence[tuple[str, int]]) -> None:
        super().__init__(home, port)
        self.instances = list(instances)
        self.prefix = home / "balancer"
        self.conf_path = self.prefix / "nginx.conf"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        """One line per proxied request, with the instance that served it (``upstream=``)."""
        return self.prefix / "access.log"

    def _binary(self) -> str:
        binary = find_nginx()
        if binary is None:
            raise DevStackError(
                f"FLUX_BFF_INSTANCES={len(self.instances)} runs the BFF instances behind nginx, which is "
                "not installed. Install Debian's package (`apt-get install nginx`, or "
                "`scripts/install-system-deps.sh`), or set FLUX_BFF_INSTANCES=1."
            )
        return binary

    def _argv(self, *extra: str) -> list[str]:
        return [self._binary(), "-p", str(self.prefix), "-c", str(self.conf_path), "-e", "stderr", *extra]

    def prepare(self) -> None:
        """Write the configuration and have nginx check it, so a mistake fails here and says why."""
        (self.prefix / "temp").mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(
            render_nginx_conf(prefix=self.prefix, listen_port=self.port, instances=self.instances)
        )
        check = subprocess.run(
            self._argv("-t", "-q"), capture_output=True, text=True, timeout=30, check=False
        )
        if check.returncode != 0:
            raise DevStackError(f"nginx rejected {self.conf_path}:\n{(check.stderr or check.stdout).strip()}")

    def _launch(self) -> None:
        self.process.start(self._argv(), cwd=self.prefix)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + STATUS_PATH, timeout=1.0) as response:  # noqa: S310 - loopback URL we built
                return int(response.status) == 200
        except OSError:
            return False
