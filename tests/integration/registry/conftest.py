"""Fixtures for the registry's integration tests: the stack's registry, private registry processes
(own topic, started through ``flux registry serve``) and HTTP clients speaking Confluent's content type.

Tests get everything through fixtures (the suite runs in importlib mode: no helper imports).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flux.catalogue import TopicKind, load_catalogue
from flux.devstack.ports import free_port
from flux.devstack.stack import RunningStack
from flux.kafka.admin import ensure_topics

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
                if httpx.get(self.url + "/ready", timeout=1.0).status_code == 200:
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


EXTERNAL_REGISTRY_ENV = "FLUX_TEST_REGISTRY_URL"


@pytest.fixture(scope="session")
def registry_url(request: pytest.FixtureRequest) -> str:
    """The registry under test: the stack's, or another Confluent-API server (e.g. Confluent's own
    in docker-compose) named by ``FLUX_TEST_REGISTRY_URL``."""
    external = os.environ.get(EXTERNAL_REGISTRY_ENV)
    if external:
        return external.rstrip("/")
    stack: RunningStack = request.getfixturevalue("stack")
    assert stack.registry_url is not None, "the stack started without the registry"
    return stack.registry_url


@pytest.fixture
def flux_only() -> None:
    """Skip a check of Flux-specific behaviour (wording, identity rules, own endpoints) when testing
    another registry."""
    if os.environ.get(EXTERNAL_REGISTRY_ENV):
        pytest.skip("checks behaviour specific to the Flux registry")


@pytest.fixture(scope="session")
def api(registry_url: str) -> Iterator[httpx.Client]:
    """Client of the stack's registry (shared: tests use their own subjects, never global settings)."""
    with httpx.Client(base_url=registry_url, headers={"Content-Type": CT}, timeout=30.0) as client:
        yield client


@pytest.fixture
def subject() -> str:
    return f"it-{uuid.uuid4().hex[:12]}-value"


@pytest.fixture
def start_registry(stack: RunningStack, tmp_path: Path) -> Iterator[Callable[..., RegistryProcess]]:
    """Start private registries (default: on a fresh topic); all are stopped after the test."""
    if os.environ.get(EXTERNAL_REGISTRY_ENV):
        pytest.skip("needs Flux registry processes of its own")
    started: list[RegistryProcess] = []

    def start(
        *extra: str, topic: str | None = None, wait: bool = True, env: dict[str, str] | None = None
    ) -> RegistryProcess:
        process = RegistryProcess(stack, topic or create_registry_topic(stack), tmp_path, *extra, env=env)
        started.append(process)
        return process.start(wait=wait)

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def private_api(start_registry: Callable[..., RegistryProcess]) -> Iterator[httpx.Client]:
    """Client of a private registry on its own topic (for tests that change global config or mode)."""
    process = start_registry()
    with httpx.Client(base_url=process.url, headers={"Content-Type": CT}, timeout=30.0) as client:
        yield client


@pytest.fixture
def client_for() -> Iterator[Callable[[RegistryProcess], httpx.Client]]:
    """Open an HTTP client to a private registry (closed after the test)."""
    opened: list[httpx.Client] = []

    def open_client(process: RegistryProcess) -> httpx.Client:
        client = httpx.Client(base_url=process.url, headers={"Content-Type": CT}, timeout=30.0)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()
