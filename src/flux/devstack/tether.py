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

from flux.devstack.process import pid_alive

__all__ = ["watch"]

POLL_S: Final = 0.5
GRACE_S: Final = 10.0


def watch(owner: int, child: int, poll_s: float = POLL_S, grace_s: float = GRACE_S) -> bool:
    """Wait for ``owner`` or ``child`` to end; stop ``child``'s group if the owner went first."""
    while pid_alive(child):
        if not pid_alive(owner):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child, signal.SIGCONT)  # a paused process cannot handle SIGTERM
                os.killpg(child, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while pid_alive(child) and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child, signal.SIGKILL)
            return True
        time.sleep(poll_s)
    return False


if __name__ == "__main__":
    watch(int(sys.argv[1]), int(sys.argv[2]))
