"""The shape every dev-stack component shares: a managed process with a port and a readiness probe."""

from __future__ import annotations

import abc
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from flux.devstack.errors import DevStackError
from flux.devstack.ports import ensure_port_free
from flux.devstack.process import ManagedProcess

__all__ = ["Component", "ComponentStatus"]


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    name: str
    pid: int | None
    ready: bool
    url: str
    degraded: bool = False
    """Running and ready without a part it was asked to use (its ``/health`` says why)."""

    @property
    def state(self) -> str:
        if self.pid is None:
            return "stopped"
        if not self.ready:
            return "starting/unhealthy"
        return "degraded" if self.degraded else "healthy"


class Component(abc.ABC):
    """A process of the stack. Subclasses say how to launch it and how to tell it is ready."""

    name: str
    port_setting: str
    startup_timeout: float = 60.0

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.process = ManagedProcess(self.name, home / "run", home / "logs")

    @property
    @abc.abstractmethod
    def url(self) -> str: ...

    @abc.abstractmethod
    def _launch(self) -> None:
        """Start the OS process (``self.process.start(...)``)."""

    @abc.abstractmethod
    def ready(self) -> bool:
        """One cheap readiness probe."""

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Work before launch (formatting storage, ...). Default: nothing."""

    def start(self) -> bool:
        """Start unless already running; False when it was already running."""
        if self.process.alive():
            return False
        ensure_port_free(self.port, self.name, self.port_setting)
        self.prepare()
        self._launch()
        return True

    def wait_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise DevStackError(self._died_message())
            if self.ready():
                return
            time.sleep(0.2)
        raise DevStackError(
            f"{self.name} did not become ready within {timeout or self.startup_timeout:.0f}s; "
            f"last log lines ({self.process.log_path}):\n{self.process.tail()}"
        )

    def _died_message(self) -> str:
        return f"{self.name} exited during start-up; last log lines ({self.process.log_path}):\n{self.process.tail()}"

    def stop(self) -> bool:
        return self.process.stop()

    def kill(self) -> bool:
        """SIGKILL (fault injection): no clean shutdown."""
        stopped = self.process.send(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.process.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        return stopped

    def status(self) -> ComponentStatus:
        pid = self.process.pid()
        return ComponentStatus(self.name, pid, pid is not None and self.ready(), self.url)
