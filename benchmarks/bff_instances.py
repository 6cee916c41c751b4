"""The BFF tier ``bench_bff.py`` measures: one BFF process, or N instances behind the stack's nginx.

* ``count == 1`` (the default, the benchmark as it always was): one ``python -m flux bff`` process,
  clients connect to it directly.
* ``count > 1``: the dev stack's own tier (:func:`flux.devstack.bff_tier.bff_tier`): ``bff-1`` …
  ``bff-N`` on their own ports, each named (``FLUX_BFF_INSTANCE_NAME``, so its session ids say
  where they live) and trusting the balancer's ``X-Forwarded-For``, and
  :class:`flux.devstack.balancer.BffBalancer` (nginx, the configuration of
  :func:`flux.devstack.nginx_conf.render_nginx_conf`) in front. Clients connect through nginx:
  ``least_conn`` spreads the handshakes. Each instance consumes every event from Kafka itself and
  delivers it to its own share of the clients.

:class:`TierMeter` samples CPU (user + system from ``/proc``) and RSS of every instance and of
nginx (master and workers: it is part of the cost of scaling out); :func:`instance_report` and
:func:`scaling_report` print the per-instance table and the "N instances / 1 instance" ratios.
Figures are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from flux.devstack.balancer import BffBalancer
from flux.devstack.bff_tier import bff_tier, instance_names
from flux.devstack.ports import free_port
from flux.devstack.python_process import FluxProcess

__all__ = [
    "BALANCER",
    "BffTier",
    "TierMeter",
    "cpu_seconds",
    "cpu_split",
    "instance_report",
    "raise_fd_limit",
    "rss_bytes",
    "scaling_report",
    "sum_metrics",
]

REPO = Path(__file__).resolve().parents[1]
BALANCER = "nginx"  # the balancer's row in the per-instance figures


# ------------------------------------------------------------------------------------- /proc reads
def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (Linux /proc)."""
    user, system = cpu_split(pid)
    return user + system


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (Linux /proc)."""
    with contextlib.suppress(FileNotFoundError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (nginx's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ------------------------------------------------------------------------------------------ tier
@dataclass(frozen=True, slots=True)
class Instance:
    """One BFF process of the tier: its name (as in its session ids, ``bff`` when untagged)."""

    name: str
    url: str
    pid: int


class BffTier:
    """The BFF processes of one measured run, and nginx in front of them when there are several."""

    def __init__(
        self,
        instances: list[Instance],
        *,
        single: subprocess.Popen[bytes] | None = None,
        processes: Sequence[FluxProcess] = (),
        balancer: BffBalancer | None = None,
    ) -> None:
        self.instances = instances
        self._single = single
        self._processes = list(processes)
        self.balancer = balancer

    @classmethod
    def start(cls, count: int, home: Path, env: Mapping[str, str], log: Path) -> BffTier:
        """Start ``count`` BFF processes (``env``: the whole environment) and, for more than one, nginx."""
        raise_fd_limit()  # inherited by the BFF processes and nginx
        home.mkdir(parents=True, exist_ok=True)
        if count <= 1:
            port = free_port()
            with log.open("ab") as sink:
                single = subprocess.Popen(
                    [sys.executable, "-m", "flux", "bff", "--host", "127.0.0.1", "--port", str(port)],
                    env=dict(env),
                    cwd=REPO,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            return cls([Instance("bff", f"http://127.0.0.1:{port}", single.pid)], single=single)
        processes, balancer = bff_tier(home, free_port(), [free_port() for _ in range(count)], env)
        assert balancer is not None
        tier = cls([], processes=list(processes.values()), balancer=balancer)
        try:
            for process in tier._processes:
                process.process.tethered = True  # stopped even if this benchmark is killed
                process.start()
            balancer.process.tethered = True
            balancer.start()
        except BaseException:
            tier.stop()
            raise
        tier.instances = [Instance(p.name, p.url, p.process.pid() or 0) for p in tier._processes]
        assert [i.name for i in tier.instances] == instance_names(count)
        return tier

    @property
    def url(self) -> str:
        """Where the clients connect: nginx, or the one instance."""
        return self.balancer.url if self.balancer is not None else self.instances[0].url

    async def wait_ready(self, timeout_s: float = 60) -> None:
        """Every instance's ``/ready`` answers 200 (and nginx its status page)."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2) as http:
            for instance in self.instances:
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(instance.url + "/ready")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"BFF {instance.name} did not become ready; see its log")
                    await asyncio.sleep(0.2)
        if self.balancer is not None:
            await asyncio.to_thread(self.balancer.wait_ready)

    def balancer_pids(self) -> list[int]:
        """nginx's master and worker processes (none with one instance)."""
        pid = self.balancer.process.pid() if self.balancer is not None else None
        return [] if pid is None else [pid, *_children(pid)]

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
        for process in self._processes:
            process.stop()
        if self._single is not None:
            self._single.terminate()
            try:
                self._single.wait(20)
            except subprocess.TimeoutExpired:
                self._single.kill()


class TierMeter:
    """CPU and peak RSS of every instance, and of nginx (master + workers, one row) when present."""

    def __init__(self, tier: BffTier) -> None:
        self._pids = {i.name: [i.pid] for i in tier.instances}
        if balancer := tier.balancer_pids():
            self._pids[BALANCER] = balancer
        self.peak_rss = dict.fromkeys(self._pids, 0)

    def cpu(self) -> dict[str, tuple[float, float]]:
        """(user, system) CPU seconds so far, by row."""
        totals = {}
        for name, pids in self._pids.items():
            splits = [cpu_split(pid) for pid in pids]
            totals[name] = (sum(s[0] for s in splits), sum(s[1] for s in splits))
        return totals

    def sample_rss(self) -> None:
        for name, pids in self._pids.items():
            self.peak_rss[name] = max(self.peak_rss[name], sum(rss_bytes(pid) for pid in pids))


# ---------------------------------------------------------------------------------------- figures
def sum_metrics(texts: Sequence[str]) -> str:
    """Prometheus texts of several instances as one: every sample summed over the instances.

    Counters, histogram buckets and gauges such as ``flux_bff_connections`` add up, so the
    quantiles read from the sum are those of all instances' events together. One text is returned
    as it is.
    """
    if len(texts) == 1:
        return texts[0]
    summed: dict[str, float] = {}
    for text in texts:
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                summed[key] = summed.get(key, 0.0) + float(value)
    return "\n".join(f"{key} {value}" for key, value in summed.items())


def gauge(text: str, name: str) -> float:
    """An unlabelled sample of a Prometheus text (NaN when absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return float("nan")


def instance_figures(
    meter: TierMeter,
    cpu_start: Mapping[str, tuple[float, float]],
    cpu_end: Mapping[str, tuple[float, float]],
    *,
    elapsed_s: float,
    window_s: float,
    clients: Mapping[str, int],
    delivered: Mapping[str, int],
    connections: Mapping[str, float],
) -> list[dict[str, Any]]:
    """One row per instance (and nginx): clients, deliveries and CPU in the measured window.

    ``delivered`` is counted by the load generators over ``window_s`` (by the session id's
    instance); CPU is sampled over ``elapsed_s``, so deliveries are scaled to that span.
    """
    scale = elapsed_s / window_s if window_s else 1.0
    total_delivered = sum(delivered.values()) * scale
    rows = []
    for name, end in cpu_end.items():
        user = end[0] - cpu_start[name][0]
        system = end[1] - cpu_start[name][1]
        cpu_s = user + system
        is_balancer = name == BALANCER
        served = total_delivered if is_balancer else delivered.get(name, 0) * scale
        rows.append(
            {
                "name": name,
                "clients": sum(clients.values()) if is_balancer else clients.get(name, 0),
                "connections_metric": float("nan") if is_balancer else connections.get(name, float("nan")),
                "delivered": round(served),
                "delivered_per_s": served / elapsed_s if elapsed_s else float("nan"),
                "cpu_s": cpu_s,
                "cpu_pct": 100.0 * cpu_s / elapsed_s if elapsed_s else float("nan"),
                "system_cpu_pct": 100.0 * system / elapsed_s if elapsed_s else float("nan"),
                "cpu_us_per_delivery": 1e6 * cpu_s / max(1.0, served),
                "peak_rss_mb": meter.peak_rss[name] / 2**20,
            }
        )
    return rows


def _per_message(rows: Sequence[Mapping[str, Any]], *, with_balancer: bool) -> float:
    bff = [r for r in rows if r["name"] != BALANCER]
    cpu: float = sum(r["cpu_s"] for r in rows if with_balancer or r["name"] != BALANCER)
    delivered: float = sum(r["delivered"] for r in bff)
    return 1e6 * cpu / max(1.0, delivered)


def _table_line(name: str, row: Mapping[str, Any], **cells: str) -> str:
    return (
        f"  {name:<16} {cells.get('clients', ''):>8} {cells.get('metric', ''):>8} "
        f"{cells.get('delivered', ''):>11} {cells.get('rate', ''):>8} {row['cpu_s']:>7.2f} "
        f"{row['cpu_pct']:>5.0f}% {row['cpu_us_per_delivery']:>7.1f} {row['peak_rss_mb']:>6.0f} MB"
    )


def instance_report(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The per-instance table of one run (rows of :func:`instance_figures`), with totals."""
    bff = [r for r in rows if r["name"] != BALANCER]
    balancer = [r for r in rows if r["name"] == BALANCER]
    lines = [
        f"  {'':<16} {'clients':>8} {'(metric)':>8} {'delivered':>11} {'msgs/s':>8} "
        f"{'CPU s':>7} {'CPU':>6} {'µs/msg':>7} {'peak RSS':>9}"
    ]
    for r in bff:
        metric = "" if math.isnan(r["connections_metric"]) else f"{r['connections_metric']:.0f}"
        lines.append(
            _table_line(
                r["name"],
                r,
                clients=f"{r['clients']}",
                metric=metric,
                delivered=f"{r['delivered']:,}",
                rate=f"{r['delivered_per_s']:,.0f}",
            )
        )
    for r in balancer:
        lines.append(_table_line(f"{BALANCER} (proxy)", r, delivered=f"{r['delivered']:,}"))
    if len(bff) > 1 or balancer:
        for name, group in (("all BFFs", bff), ("all incl. nginx", [*bff, *balancer])):
            total = {
                "cpu_s": sum(r["cpu_s"] for r in group),
                "cpu_pct": sum(r["cpu_pct"] for r in group),
                "cpu_us_per_delivery": _per_message(group, with_balancer=True),
                "peak_rss_mb": sum(r["peak_rss_mb"] for r in group),
            }
            lines.append(
                _table_line(
                    name,
                    total,
                    clients=f"{sum(r['clients'] for r in bff)}",
                    delivered=f"{sum(r['delivered'] for r in bff):,}",
                    rate=f"{sum(r['delivered_per_s'] for r in bff):,.0f}",
                )
            )
    lines.append(
        "  (clients: by session-id prefix, counted by the load generators; (metric): the instance's own "
        "flux_bff_connections; CPU: user + system, 100% = one core; µs/msg: CPU per message delivered to "
        "its clients; nginx: master + workers, per message delivered through it; RSS of totals: summed)"
    )
    return lines


def scaling_report(single: Sequence[Mapping[str, Any]], multi: Sequence[Mapping[str, Any]]) -> list[str]:
    """CPU per delivered message with N instances against 1 instance, measured in the same run."""
    count = sum(1 for r in multi if r["name"] != BALANCER)
    one = _per_message(single, with_balancer=False)
    bff_only = _per_message(multi, with_balancer=False)
    with_nginx = _per_message(multi, with_balancer=True)
    per_instance = [r["cpu_us_per_delivery"] for r in multi if r["name"] != BALANCER]
    return [
        f"  CPU per delivered message, {count} instances / 1 instance (same clients, same rate, same run):",
        f"    BFF processes only   {bff_only:6.1f} µs / {one:6.1f} µs = {bff_only / one:.2f}x"
        f"   (per instance: {', '.join(f'{v:.1f}' for v in per_instance)} µs)",
        f"    including nginx      {with_nginx:6.1f} µs / {one:6.1f} µs = {with_nginx / one:.2f}x"
        "   (the proxy hop is the cost of scaling out on one host)",
    ]
