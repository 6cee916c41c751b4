"""Every benchmark script still imports (they run only in `make bench-*`, so a stale import would
otherwise surface only when someone measures). Each is loaded as a module, not run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
