"""The dev stack's registry cluster: ``FLUX_REGISTRY_NODES`` equal nodes on one registry topic.

Every node stands for election (docs/registry.md): one leads, the others serve reads and forward
writes to it, and any node answers every request. The first node listens on
``FLUX_REGISTRY_PORT`` and is the one URL components are given (``FLUX_REGISTRY_URL``); node *i*
(from 2) listens on that port plus *i* - 1, or on free ports in throw-away stacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from flux.devstack.python_process import FluxProcess

__all__ = ["node_name", "registry_nodes"]


def node_name(index: int) -> str:
    """``registry`` for the first node (as before clusters), ``registry-2``, ``registry-3`` ..."""
    return "registry" if index == 1 else f"registry-{index}"


def registry_nodes(home: Path, ports: Sequence[int], env: Mapping[str, str]) -> dict[str, FluxProcess]:
    """One ``flux registry serve`` process per port, by name (the first is the stack's registry)."""
    nodes: dict[str, FluxProcess] = {}
    for index, port in enumerate(ports, start=1):
        name = node_name(index)
        nodes[name] = FluxProcess(
            name,
            home,
            port,
            ["registry", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            port_setting="FLUX_REGISTRY_PORT",
            health_path="/ready",  # ready once replayed (``/health`` is liveness: 200 from the start)
        )
    return nodes
