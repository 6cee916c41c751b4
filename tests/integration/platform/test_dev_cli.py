"""`flux dev up | status | down | reset` as a user runs them, on ephemeral ports in a temp home."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from flux.devstack.ports import free_port
from flux.devstack.stack import default_jars_cache
from flux.settings import Settings

pytestmark = pytest.mark.integration


def _flux(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flux", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _processes_under(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(home) in cmdline:
            found.append(proc)
    return found


def test_up_status_down_leaves_nothing_behind(tmp_path: Path) -> None:
    home = tmp_path / "flux-home"
    env = {
        **os.environ,
        "FLUX_HOME": str(home),
        "FLUX_KAFKA_LIBS": str(default_jars_cache(Settings())),
        "FLUX_KAFKA_PORT": str(free_port()),
        "FLUX_KAFKA_CONTROLLER_PORT": str(free_port()),
        "FLUX_REGISTRY_PORT": str(free_port()),
        "FLUX_VALKEY_PORT": str(free_port()),
        "FLUX_BFF_PORT": str(free_port()),
        "FLUX_SERVICE_BASE_PORT": str(free_port() // 10 * 10),
    }
    up = _flux(env, "dev", "up", "--infra-only")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "Flux is up in" in up.stdout
    assert "kafka" in up.stdout and "ready in" in up.stdout

    again = _flux(env, "dev", "up", "--infra-only")
    assert again.returncode == 0 and "already running" in again.stdout

    status = _flux(env, "dev", "status")
    assert status.returncode == 0, status.stdout
    assert "kafka" in status.stdout and "healthy" in status.stdout
    assert _processes_under(home)

    down = _flux(env, "dev", "down")
    assert down.returncode == 0
    assert "kafka" in down.stdout and "stopped" in down.stdout
    assert _processes_under(home) == []
    assert _flux(env, "dev", "status").returncode == 3

    reset = _flux(env, "dev", "reset", "--yes")
    assert reset.returncode == 0
    assert not (home / "kafka").exists()


def test_reset_refuses_without_confirmation_when_not_interactive(tmp_path: Path) -> None:
    env = {**os.environ, "FLUX_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "flux", "dev", "reset"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert "--yes" in result.stderr


def test_port_in_use_is_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        env = {
            **os.environ,
            "FLUX_HOME": str(tmp_path),
            "FLUX_KAFKA_LIBS": str(default_jars_cache(Settings())),
            "FLUX_KAFKA_PORT": str(port),
        }
        result = _flux(env, "dev", "up", "--infra-only", timeout=60)
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "FLUX_KAFKA_PORT" in result.stderr
