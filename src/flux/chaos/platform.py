"""The platform under test: the embedded stack with every service in live mode against the fake upstreams.

It runs as a cluster: :data:`BFF_INSTANCES` BFF instances behind the stack's nginx balancer (users
connect to the balancer) and :data:`REGISTRY_NODES` registry nodes electing their leader, so the
failover faults have something to fail over to.

Besides starting and stopping everything, :class:`ChaosPlatform` watches the
processes: one that dies while no fault is holding it down is an unexpected
crash (recorded, then restarted so the run can go on), and every process's
resident memory is sampled for the memory check.

Example:
    >>> platform = ChaosPlatform(Path("/tmp/chaos"))  # doctest: +SKIP
    >>> await platform.up(); ...; await platform.down()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp

from flux.chaos.observations import now_ms
from flux.devstack.component import Component
from flux.devstack.ports import free_port
from flux.devstack.python_process import FluxProcess
from flux.devstack.stack import DevStack, RunningStack
from flux.registry.storage.topic import registry_topic_spec
from flux.testing.stack import make_ephemeral_stack

__all__ = ["ChaosPlatform", "Crash", "RssSample"]

LOG = logging.getLogger(__name__)

UPSTREAMS: Final = "upstreams"
STOCKS_KEY: Final = "fake-stocks-key"
_WATCH_EVERY_S: Final = 0.5
_RSS_EVERY_S: Final = 2.0
BFF_INSTANCES: Final = 2
REGISTRY_NODES: Final = 2


@dataclass(frozen=True, slots=True)
class Crash:
    """A process found dead while no fault was holding it down."""

    component: str
    at: float
    exit_code: int | None
    log_tail: str


@dataclass(frozen=True, slots=True)
class RssSample:
    at: float
    component: str
    pid: int
    rss_kib: int


def read_rss_kib(pid: int) -> int | None:
    """Resident set size of ``pid`` in KiB (Linux ``/proc``), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return None
    return None


class ChaosPlatform:
    """Every process of the run, with supervision and memory sampling (see module docs)."""

    def __init__(self, home: Path, *, seed: int = 42, session_s: float = 6.0) -> None:
        self.home = home
        self.stack: DevStack = make_ephemeral_stack(
            home, with_apps=True, bff_instances=BFF_INSTANCES, registry_nodes=REGISTRY_NODES
        )
        session_ms = str(int(session_s * 1000))
        for node in self.stack.registry_nodes.values():
            node.args += ["--session-timeout-ms", session_ms]
        upstreams_port = free_port()
        self.upstreams = FluxProcess(
            UPSTREAMS,
            self.stack.home,
            upstreams_port,
            ["upstreams", "serve", "--port", str(upstreams_port), "--seed", str(seed)],
            env=self.stack.child_env(),
            port_setting="FLUX_CHAOS_UPSTREAMS_PORT",
            health_path="/_control/health",
        )
        # Like the stack's own processes: stopped when this run dies, however it dies.
        self.upstreams.process.tethered = True
        base = self.upstreams.url
        live = {
            "FLUX_PROVIDER": "live",
            "FLUX_WEATHER_URL": base,
            "FLUX_COINGECKO_URL": base,
            "FLUX_COINBASE_WS_URL": base.replace("http://", "ws://") + "/ws",
            "FLUX_NEWS_FEEDS": f"{base}/feeds/world.rss,{base}/feeds/markets.atom",
            "FLUX_STOCKS_URL": base,
            "FLUX_STOCKS_API_KEY": STOCKS_KEY,
            # Fail fast enough that a 5xx storm is answered (with an error snapshot) within seconds.
            "FLUX_UPSTREAM_TIMEOUT_S": "5",
            "FLUX_UPSTREAM_MAX_ATTEMPTS": "3",
        }
        for app in self.stack.apps.values():
            app.env.update(live)
        self.running: RunningStack | None = None
        self.expected_down: set[str] = set()
        self.crashes: list[Crash] = []
        self.restarts: dict[str, list[float]] = {}
        self.rss: list[RssSample] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def components(self) -> dict[str, Component]:
        found: dict[str, Component] = {c.name: c for c in self.stack.components()}
        found[UPSTREAMS] = self.upstreams
        return found

    @property
    def bff_url(self) -> str:
        """Where users connect: the balancer in front of the BFF instances."""
        url = self.stack.bff_url
        assert url is not None
        return url

    # ------------------------------------------------------------- registry
    @property
    def registry_nodes(self) -> dict[str, FluxProcess]:
        return self.stack.registry_nodes

    @property
    def registry_topic(self) -> str:
        return registry_topic_spec().name

    def registry_urls(self) -> list[str]:
        return [node.url for node in self.registry_nodes.values()]

    def live_registry_urls(self) -> list[str]:
        """The nodes a client could pick now: those not held down by a fault."""
        return [
            node.url
            for name, node in self.registry_nodes.items()
            if name not in self.expected_down and node.process.alive()
        ]

    async def registry_health(self, name: str) -> dict[str, Any]:
        """Node ``name``'s ``/health`` body (its role and the leader it knows), {} if it does not answer."""
        assert self._http is not None
        try:
            async with self._http.get(self.registry_nodes[name].url + "/health") as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            return {}
        return body if isinstance(body, dict) else {}

    async def registry_leader(self, among: list[str], timeout_s: float) -> str | None:
        """The one node of ``among`` that says it leads, once exactly one does (None at the timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            roles = {name: (await self.registry_health(name)).get("role") for name in among}
            leaders = [name for name, role in roles.items() if role == "leader"]
            if len(leaders) == 1:
                return leaders[0]
            await asyncio.sleep(0.1)
        return None

    @property
    def control_url(self) -> str:
        return f"{self.upstreams.url}/_control/faults"

    async def up(self, progress: Any = print) -> RunningStack:
        """Start the fake upstreams, then the whole stack; begin watching."""
        await asyncio.to_thread(self._start_and_wait, self.upstreams)
        self.running = await asyncio.to_thread(self.stack.up, progress)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3))
        for name in self.stack.apps:
            await self.wait_ready(name, 60.0)
        self._tasks = [
            asyncio.create_task(self._watch(), name="chaos-watch"),
            asyncio.create_task(self._sample_rss(), name="chaos-rss"),
        ]
        return self.running

    async def down(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._http is not None:
            await self._http.close()
        await asyncio.to_thread(self.stack.down)
        await asyncio.to_thread(self.upstreams.stop)

    @staticmethod
    def _start_and_wait(component: Component) -> None:
        component.start()
        component.wait_ready()

    # -------------------------------------------------------------- control
    async def kill(self, name: str) -> None:
        """SIGKILL ``name`` (it stays expected-down until :meth:`restart`)."""
        self.expected_down.add(name)
        await asyncio.to_thread(self.components[name].kill)

    async def restart(self, name: str, ready_timeout_s: float = 90.0) -> None:
        """Start ``name`` again and wait until it is ready (services: ``/ready``)."""
        component = self.components[name]
        await asyncio.to_thread(component.start)
        await asyncio.to_thread(component.wait_ready, ready_timeout_s)
        await self.wait_ready(name, ready_timeout_s)
        self.restarts.setdefault(name, []).append(now_ms())
        self.expected_down.discard(name)

    async def wait_ready(self, name: str, timeout_s: float) -> bool:
        """Wait until a Flux app answers ``/ready`` with 200 (other components: their own probe)."""
        component = self.components[name]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            if isinstance(component, FluxProcess) and name in self.stack.apps:
                if await self._get_ok(component.url + "/ready"):
                    return True
            elif await asyncio.to_thread(component.ready):
                return True
            await asyncio.sleep(0.25)
        return False

    async def all_ready(self) -> dict[str, bool]:
        """Readiness of every component right now."""
        out = {}
        for name, component in self.components.items():
            if isinstance(component, FluxProcess) and name in self.stack.apps:
                out[name] = await self._get_ok(component.url + "/ready")
            else:
                out[name] = await asyncio.to_thread(component.ready)
        return out

    async def _get_ok(self, url: str) -> bool:
        assert self._http is not None
        try:
            async with self._http.get(url) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False

    async def upstream_fault(self, body: dict[str, Any] | None) -> None:
        """Inject a fault in the fake upstreams (``None`` clears it) through their control API."""
        assert self._http is not None
        if body is None:
            async with self._http.delete(self.control_url) as response:
                response.raise_for_status()
            return
        async with self._http.post(self.control_url, json=body) as response:
            response.raise_for_status()

    async def upstream_served(self, mode: str) -> int:
        """How many responses the fake upstreams have shaped with fault ``mode`` so far."""
        assert self._http is not None
        async with self._http.get(self.control_url) as response:
            response.raise_for_status()
            described = await response.json()
        return int(described.get("served", {}).get(mode, 0))

    # ------------------------------------------------------------- watching
    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(_WATCH_EVERY_S)
            for name, component in self.components.items():
                if name in self.expected_down or component.process.alive():
                    continue
                crash = Crash(name, now_ms(), component.process.exit_code(), component.process.tail(15))
                self.crashes.append(crash)
                LOG.error("unexpected crash of %s (exit %s); restarting it", name, crash.exit_code)
                self.expected_down.add(name)
                try:
                    await self.restart(name)
                except Exception:
                    LOG.exception("could not restart %s", name)

    async def _sample_rss(self) -> None:
        while True:
            moment = now_ms()
            for name, component in self.components.items():
                pid = component.process.pid()
                if pid is None:
                    continue
                rss = read_rss_kib(pid)
                if rss is not None:
                    self.rss.append(RssSample(moment, name, pid, rss))
            await asyncio.sleep(_RSS_EVERY_S)
