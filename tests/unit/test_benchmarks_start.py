"""Every benchmark script still imports (they run only in `make bench-*`, so a stale import would
otherwise surface only when someone measures). Each is loaded as a module, not run; ``bench_bff.py``'s
``--instances`` option and the arithmetic of its multi-instance report (``bff_instances.py``) are
checked without a stack."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flux.paths import project_root

SCRIPTS = sorted((project_root() / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 4


_LOAD = """
import importlib.util, sys
path = sys.argv[1]
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("benchmark_under_test", path)
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module  # dataclasses look their module up
spec.loader.exec_module(module)
assert callable(getattr(module, "main", None)), "no main()"
"""


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_script_imports(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    script = project_root() / "benchmarks" / "bench_bff.py"
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_bench_bff_takes_instances() -> None:
    """`make bench-bff ARGS="--instances 2"`: the option exists and refuses nonsense before any stack starts."""
    shown = _bench("--help")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "--instances" in shown.stdout
    refused = _bench("--instances", "0")
    assert refused.returncode == 2
    assert "--instances must be at least 1" in refused.stderr


def _bff_instances() -> Any:
    path = project_root() / "benchmarks" / "bff_instances.py"
    spec = importlib.util.spec_from_file_location("bff_instances_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_instance_metrics_are_summed_over_instances() -> None:
    helper = _bff_instances()
    one = '# HELP x\nflux_bff_connections 3.0\nh_bucket{le="0.1"} 2.0\nh_bucket{le="+Inf"} 4.0\n'
    two = 'flux_bff_connections 5.0\nh_bucket{le="0.1"} 1.0\nh_bucket{le="+Inf"} 1.0\n'
    assert helper.sum_metrics([one]) == one
    summed = helper.sum_metrics([one, two])
    assert helper.gauge(summed, "flux_bff_connections") == 8.0
    assert 'h_bucket{le="+Inf"} 5.0' in summed
    assert math.isnan(helper.gauge(summed, "absent"))


def test_per_instance_figures_and_the_scaling_ratio() -> None:
    helper = _bff_instances()

    def figures(cpu: dict[str, float], clients: dict[str, int], delivered: dict[str, int]) -> Any:
        meter = SimpleNamespace(peak_rss=dict.fromkeys(cpu, 100 * 2**20))
        return helper.instance_figures(
            meter,
            {name: (0.0, 0.0) for name in cpu},
            {name: (seconds / 2, seconds / 2) for name, seconds in cpu.items()},
            elapsed_s=10.0,
            window_s=10.0,
            clients=clients,
            delivered=delivered,
            connections={name: float(n) for name, n in clients.items()},
        )

    single = figures({"bff": 1.0}, {"bff": 100}, {"bff": 100_000})
    assert single[0]["cpu_us_per_delivery"] == pytest.approx(10.0)
    multi = figures(
        {"bff-1": 0.6, "bff-2": 0.6, helper.BALANCER: 0.3},
        {"bff-1": 50, "bff-2": 50},
        {"bff-1": 50_000, "bff-2": 50_000},
    )
    by_name = {row["name"]: row for row in multi}
    assert by_name["bff-1"]["cpu_us_per_delivery"] == pytest.approx(12.0)
    assert by_name[helper.BALANCER]["delivered"] == 100_000  # nginx carries every delivery
    assert by_name[helper.BALANCER]["cpu_us_per_delivery"] == pytest.approx(3.0)
    table = "\n".join(helper.instance_report(multi))
    assert "bff-2" in table and "nginx (proxy)" in table and "all incl. nginx" in table
    ratios = "\n".join(helper.scaling_report(single, multi))
    assert "= 1.20x" in ratios  # BFF processes only: 12 µs / 10 µs
    assert "= 1.50x" in ratios  # with nginx: 15 µs / 10 µs
