"""Watcher of one tethered stack process: ``python -m flux.devstack.tether OWNER_PID CHILD_PID``.

Polls twice a second. When the owner (the test run or benchmark that started
the child) is gone, it sends SIGTERM to the child's process group, then SIGKILL
after a grace period; when the child ends first, it just exits. A killed
``pytest`` thereby leaves no Kafka, registry or Valkey behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from typing import Final

__all__ = ["watch"]

POLL_S: Final = 0.5
GRACE_S: Final = 10.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def watch(owner: int, child: int, poll_s: float = POLL_S, grace_s: float = GRACE_S) -> bool:
    """Wait for ``owner`` or ``child`` to end; stop ``child``'s group if the owner went first."""
    while _alive(child):
        if not _alive(owner):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child, signal.SIGCONT)  # a paused process cannot handle SIGTERM
                os.killpg(child, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while _alive(child) and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child, signal.SIGKILL)
            return True
        time.sleep(poll_s)
    return False


if __name__ == "__main__":
    watch(int(sys.argv[1]), int(sys.argv[2]))
