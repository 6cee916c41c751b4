"""A child process of the dev stack, tracked by a PID file so another ``flux`` invocation can stop it.

Processes run in their own session (they outlive ``flux dev up``) and write
stdout/stderr to a log file next to the PID file. A *tethered* process (the
throw-away stacks of tests and benchmarks) is stopped when the process that
started it dies, even by SIGKILL: a small watcher process
(``python -m flux.devstack.tether``) ends its process group then.

Example:
    >>> proc = ManagedProcess("valkey", Path(".flux/run"), Path(".flux/logs"))
    >>> proc.start(["valkey-server", "--port", "6379"])  # doctest: +SKIP
    >>> proc.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["ManagedProcess", "pid_alive"]


class ManagedProcess:
    """One named OS process with a PID file and a log file."""

    __slots__ = ("_popen", "log_path", "name", "pid_path", "tethered")

    def __init__(self, name: str, run_dir: Path, log_dir: Path, *, tethered: bool = False) -> None:
        self.name = name
        self.pid_path = run_dir / f"{name}.pid"
        self.log_path = log_dir / f"{name}.log"
        self.tethered = tethered
        self._popen: subprocess.Popen[bytes] | None = None

    def start(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> int:
        """Start the process in a new session and record its PID."""
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {' '.join(argv)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_path.write_text(str(self._popen.pid))
        if self.tethered:
            subprocess.Popen(
                [sys.executable, "-m", "flux.devstack.tether", str(os.getpid()), str(self._popen.pid)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self._popen.pid

    def pid(self) -> int | None:
        """PID of the running process, or None (stale PID files are removed)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid, self._popen):
            self.pid_path.unlink(missing_ok=True)
            return None
        return pid

    def alive(self) -> bool:
        return self.pid() is not None

    def exit_code(self) -> int | None:
        """Exit code when this object started the process and it has ended."""
        return None if self._popen is None else self._popen.poll()

    def send(self, sig: signal.Signals) -> bool:
        """Send ``sig`` to the process group; False when the process is not running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        return True

    def stop(self, timeout: float = 15.0) -> bool:
        """SIGTERM, wait up to ``timeout``, then SIGKILL. True if a process was stopped."""
        pid = self.pid()
        if pid is None:
            return False
        self.send(signal.SIGCONT)  # a paused process cannot handle SIGTERM
        self.send(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid, self._popen):
                break
            time.sleep(0.05)
        else:
            self.send(signal.SIGKILL)
            while _alive(pid, self._popen):
                time.sleep(0.05)
        self.pid_path.unlink(missing_ok=True)
        return True

    def tail(self, lines: int = 20) -> str:
        """The last ``lines`` of the log (for error messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _alive(pid: int, popen: subprocess.Popen[bytes] | None) -> bool:
    if popen is not None and popen.pid == pid:
        return popen.poll() is None
    return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not): for processes this one may not have started."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie we did not start (its parent has not reaped it yet) is not alive.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except (FileNotFoundError, IndexError):
        return True
