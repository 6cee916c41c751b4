"""A registry process for tests: ``python -m flux registry serve`` on a free port and its own topic."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from flux.catalogue import TopicKind, load_catalogue
from flux.devstack.ports import free_port
from flux.devstack.stack import RunningStack
from flux.kafka.admin import ensure_topics

__all__ = ["CT", "RegistryProcess", "create_registry_topic"]

CT = "application/vnd.schemaregistry.v1+json"


def registry_topic_spec() -> Any:
    return next(t for t in load_catalogue().of_kind(TopicKind.INTERNAL) if t.domain == "registry")


def create_registry_topic(stack: RunningStack) -> str:
    """A fresh compacted single-partition topic shaped like the catalogue's registry topic."""
    spec = dataclasses.replace(registry_topic_spec(), name=f"_schemas-test-{uuid.uuid4().hex[:10]}")
    ensure_topics(stack.settings, [spec])
    return spec.name


class RegistryProcess:
    """One ``python -m flux registry serve`` process on a free port."""

    def __init__(
        self, stack: RunningStack, topic: str, workdir: Path, *extra: str, env: dict[str, str] | None = None
    ) -> None:
        self.stack = stack
        self.topic = topic
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable,
            "-m",
            "flux",
            "registry",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--topic",
            topic,
            *extra,
        ]
        self.env = {
            **os.environ,
            "FLUX_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "FLUX_LOG_FORMAT": "json",
            **(env or {}),
        }
        self.log_path = workdir / f"registry-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> RegistryProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"registry not ready: {self.log_path.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
