"""Fixtures for the registry's integration tests: the stack's registry, private registry processes
(own topic, started through ``flux registry serve``) and an HTTP client speaking Confluent's content type."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from registry_process import CT, RegistryProcess, create_registry_topic

from flux.devstack.stack import RunningStack


@pytest.fixture(scope="session")
def registry_url(stack: RunningStack) -> str:
    assert stack.registry_url is not None, "the stack started without the registry"
    return stack.registry_url


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
