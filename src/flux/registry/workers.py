"""Several processes serving one registry node's port (``flux registry serve --workers N``).

The serving process (slot 0) starts N-1 worker processes (``python -m flux registry serve ...
--worker SLOT,WATCH_FD,TABLE_FD``) that bind the same host and port with ``SO_REUSEPORT``, so the
kernel spreads connections over all of them. Each replays the log itself and answers reads,
lookups and compatibility checks from its own state; workers never stand for election and never
write to Kafka — they forward writes to the leader like any follower node. Two pieces of shared
plumbing live here:

* :class:`PositionTable`, a shared-memory array with each process's applied log position (-1:
  not replayed yet, or gone). A write acknowledged through any process of the node waits until
  every ready sibling has applied it, so the next request reads it whichever process the kernel
  hands the connection to (read-your-writes across workers).
* the tether: a worker watches the read end of a pipe whose write end only the serving process
  holds; when that process ends — however it ends, ``kill -9`` too — the pipe reads EOF and the
  worker stops.

Example:
    >>> table = PositionTable.create(2)  # doctest: +SKIP
    >>> table.set(1, 42); table.get(1)  # doctest: +SKIP
    42
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mmap
import os
import signal
import struct
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["PositionTable", "WorkerPool", "WorkerSpec", "parse_worker_spec"]

LOG = logging.getLogger(__name__)

_SLOT: Final = struct.Struct("=q")
SIBLING_WAIT_S: Final = 5.0
RESTART_BACKOFF_S: Final = 1.0
STOP_GRACE_S: Final = 10.0


class PositionTable:
    """One signed 64-bit log position per process of a node, in a shared memory-mapped file."""

    def __init__(self, fd: int, slots: int) -> None:
        self.fd = fd
        self.slots = slots
        self._map = mmap.mmap(fd, _SLOT.size * slots)

    @classmethod
    def create(cls, slots: int) -> PositionTable:
        """A new table, every slot -1 (its file is unlinked: it lives as long as an fd to it)."""
        with tempfile.TemporaryFile(prefix="flux-registry-positions-") as handle:
            fd = os.dup(handle.fileno())
        os.ftruncate(fd, _SLOT.size * slots)
        table = cls(fd, slots)
        for slot in range(slots):
            table.set(slot, -1)
        return table

    def set(self, slot: int, position: int) -> None:
        _SLOT.pack_into(self._map, slot * _SLOT.size, position)

    def get(self, slot: int) -> int:
        value: int = _SLOT.unpack_from(self._map, slot * _SLOT.size)[0]
        return value

    def behind(self, position: int) -> list[int]:
        """Slots of ready processes that have not applied everything before ``position``."""
        return [s for s in range(self.slots) if 0 <= self.get(s) < position]

    async def wait_all(self, position: int, limit_s: float = SIBLING_WAIT_S) -> bool:
        """Wait until every ready process has applied everything before ``position``; False
        when some had not within ``limit_s`` (the write stays acknowledged: it is durable)."""
        deadline = time.monotonic() + limit_s
        pause = 0.0005
        while self.behind(position):
            if time.monotonic() >= deadline:
                LOG.warning(
                    "a registry worker has not applied a write in time",
                    extra={"position": position, "slots": self.behind(position)},
                )
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)
        return True

    def close(self) -> None:
        self._map.close()
        with contextlib.suppress(OSError):
            os.close(self.fd)


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What a worker is told by ``--worker SLOT,WATCH_FD,TABLE_FD``."""

    slot: int
    watch_fd: int
    table_fd: int
    slots: int


def parse_worker_spec(text: str) -> WorkerSpec:
    """``SLOT,WATCH_FD,TABLE_FD,SLOTS`` (as the serving process writes it)."""
    slot, watch_fd, table_fd, slots = (int(part) for part in text.split(","))
    return WorkerSpec(slot, watch_fd, table_fd, slots)


class WorkerPool:
    """The serving process's workers: started, restarted when one dies, stopped with it.

    Args:
        command: a worker's command line without ``--worker`` (the same options as this process,
            ``--port`` the bound port, ``--primary-url`` this process's internal URL).
        table: the node's position table (slot 0 is this process).
    """

    def __init__(
        self, command: Sequence[str], table: PositionTable, env: dict[str, str] | None = None
    ) -> None:
        self.command = list(command)
        self.table = table
        self.env = env
        self._watch_read, self._watch_write = os.pipe()  # both non-inheritable
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes.values()]

    def _spawn(self, slot: int) -> None:
        self.table.set(slot, -1)
        spec = f"{slot},{self._watch_read},{self.table.fd},{self.table.slots}"
        process = subprocess.Popen(
            [*self.command, "--worker", spec],
            pass_fds=(self._watch_read, self.table.fd),
            env=self.env,
        )
        self._processes[slot] = process
        LOG.info("registry worker started", extra={"slot": slot, "pid": process.pid})

    def start(self) -> None:
        for slot in range(1, self.table.slots):
            self._spawn(slot)
        self._task = asyncio.create_task(self._supervise(), name="registry-workers")

    async def _supervise(self) -> None:
        while not self._stopping:
            await asyncio.sleep(RESTART_BACKOFF_S)
            for slot, process in list(self._processes.items()):
                code = process.poll()
                if code is not None and not self._stopping:
                    LOG.warning(
                        "registry worker exited; starting it again", extra={"slot": slot, "code": code}
                    )
                    self.table.set(slot, -1)
                    self._spawn(slot)

    async def stop(self) -> None:
        """SIGTERM every worker (they also see the pipe close when this process ends), then SIGKILL
        those still running after the grace period."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for process in self._processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self._processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, max(0.0, deadline - time.monotonic()))
        for process in self._processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait()
        for fd in (self._watch_read, self._watch_write):
            with contextlib.suppress(OSError):
                os.close(fd)
