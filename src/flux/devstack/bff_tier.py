"""The stack's BFF tier: one BFF on the public port, or N instances on their own ports behind nginx.

With ``FLUX_BFF_INSTANCES=1`` (the default) this is the single ``bff`` process
on ``FLUX_BFF_PORT``, as always. With N > 1 the instances are ``bff-1`` …
``bff-N`` on ``FLUX_BFF_INSTANCE_BASE_PORT + i``, each named (its session ids
say where they live, ``flux.bff.instance``) and trusting the balancer's
``X-Forwarded-For``, and ``bff-balancer`` (nginx) takes ``FLUX_BFF_PORT``, so
the dashboard, ``flux watch`` and every client keep the same address.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from flux.devstack.balancer import BffBalancer
from flux.devstack.python_process import FluxProcess

__all__ = ["BALANCER_ADDRESS", "bff_tier", "instance_names"]

# The balancer's address as the instances see it: the one proxy whose X-Forwarded-For they believe.
BALANCER_ADDRESS: Final = "127.0.0.1"


def instance_names(count: int) -> list[str]:
    """``["bff"]`` for one instance, else ``["bff-1", …]``."""
    return ["bff"] if count <= 1 else [f"bff-{i}" for i in range(1, count + 1)]


def _bff(name: str, home: Path, port: int, env: Mapping[str, str], port_setting: str) -> FluxProcess:
    return FluxProcess(
        name,
        home,
        port,
        ["bff", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        port_setting=port_setting,
        health_path="/ready",
    )


def bff_tier(
    home: Path, public_port: int, instance_ports: Sequence[int], env: Mapping[str, str]
) -> tuple[dict[str, FluxProcess], BffBalancer | None]:
    """The BFF processes (by name) and, for more than one, the balancer in front of them."""
    if len(instance_ports) <= 1:
        return {"bff": _bff("bff", home, public_port, env, "FLUX_BFF_PORT")}, None
    instances: dict[str, FluxProcess] = {}
    for name, port in zip(instance_names(len(instance_ports)), instance_ports, strict=True):
        instance_env = {
            **env,
            "FLUX_BFF_INSTANCE_NAME": name,
            "FLUX_BFF_TRUSTED_PROXIES": json.dumps([BALANCER_ADDRESS]),
        }
        instances[name] = _bff(name, home, port, instance_env, "FLUX_BFF_INSTANCE_BASE_PORT")
    balancer = BffBalancer(home, public_port, [(name, p.port) for name, p in instances.items()])
    return instances, balancer
