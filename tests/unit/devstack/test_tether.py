"""Tethered stack processes end with the process that started them, even when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flux.devstack.process import pid_alive

OWNER = """
import sys, time
from pathlib import Path
from flux.devstack.process import ManagedProcess
proc = ManagedProcess("sleeper", Path(sys.argv[1]) / "run", Path(sys.argv[1]) / "logs", tethered=sys.argv[2] == "1")
print(proc.start([sys.executable, "-c", "import time; time.sleep(120)"]), flush=True)
time.sleep(120)
"""


def _start_owner(home: Path, tethered: bool) -> tuple[subprocess.Popen[str], int]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(home), "1" if tethered else "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    return owner, int(owner.stdout.readline())


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("tethered", [True, False])
def test_child_outlives_a_killed_owner_only_when_untethered(tmp_path: Path, tethered: bool) -> None:
    owner, child = _start_owner(tmp_path, tethered)
    try:
        time.sleep(0.3)  # the watcher is up
        owner.kill()
        owner.wait()
        assert _wait_gone(child, 5.0) is tethered
    finally:
        if pid_alive(child):
            os.killpg(child, signal.SIGKILL)


def test_watcher_exits_when_the_child_ends_first(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "flux.devstack.tether", str(os.getpid()), str(child.pid)]
    )
    child.wait()
    assert watcher.wait(timeout=10) == 0
