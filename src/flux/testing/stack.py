"""Start a throw-away embedded stack (real Kafka, registry, Valkey) in a temp dir on ephemeral ports.

Used by the pytest fixtures, the benchmarks and ``flux chaos``; it never meets
a running ``flux dev`` stack because every port and folder is its own.

Example:
    >>> with ephemeral_stack(Path("/tmp/x")) as running:  # doctest: +SKIP
    ...     print(running.kafka_bootstrap)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from flux.devstack.stack import DevStack, RunningStack, StackPorts, default_jars_cache
from flux.settings import LogFormat, Settings

__all__ = ["ephemeral_stack", "make_ephemeral_stack"]


def make_ephemeral_stack(
    home: Path,
    *,
    with_registry: bool = True,
    with_valkey: bool = True,
    with_apps: bool = False,
    bff_instances: int = 1,
    registry_nodes: int = 1,
) -> DevStack:
    """A stack whose ports are all free right now and whose data lives under ``home``.

    ``bff_instances`` > 1 puts that many BFF instances behind the stack's nginx balancer;
    ``registry_nodes`` > 1 runs a registry cluster (one elected leader).
    """
    base = Settings(log_format=LogFormat.JSON, kafka_heap="512m")
    return DevStack(
        base,
        home=home,
        ports=StackPorts.ephemeral(bff_instances=bff_instances, registry_nodes=registry_nodes),
        jars_cache=default_jars_cache(Settings()),
        with_registry=with_registry,
        with_valkey=with_valkey,
        with_apps=with_apps,
        tethered=True,
    )


@contextlib.contextmanager
def ephemeral_stack(home: Path, **options: bool) -> Iterator[RunningStack]:
    stack = make_ephemeral_stack(home, **options)
    try:
        yield stack.up()
    finally:
        stack.down()
