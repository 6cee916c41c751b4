"""Every benchmark script still imports and parses its arguments (they run only in `make bench-*`,
so a stale import would otherwise surface only when someone measures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flux.paths import project_root

SCRIPTS = sorted((project_root() / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 4


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_script_starts(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
