"""Live contract fixtures: a private Flux registry (own topic, own port) next to the session stack."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flux.catalogue import TopicKind, load_catalogue
from flux.devstack.ports import free_port
from flux.devstack.stack import RunningStack
from flux.kafka.admin import ensure_topics


@pytest.fixture
def private_registry(stack: RunningStack, tmp_path: Path) -> Iterator[str]:
    """URL of a registry process that starts empty (a fresh topic); stopped after the test."""
    spec = next(t for t in load_catalogue().of_kind(TopicKind.INTERNAL) if t.domain == "registry")
    topic = dataclasses.replace(spec, name=f"_schemas-contract-{uuid.uuid4().hex[:10]}")
    ensure_topics(stack.settings, [topic])
    port = free_port()
    log = (tmp_path / "registry.log").open("ab")
    env = {**os.environ, "FLUX_KAFKA_BOOTSTRAP": stack.kafka_bootstrap, "FLUX_LOG_FORMAT": "json"}
    args = ["registry", "serve", "--host", "127.0.0.1", "--port", str(port), "--topic", topic.name]
    process = subprocess.Popen(
        [sys.executable, "-m", "flux", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"registry exited: {(tmp_path / 'registry.log').read_text()[-2000:]}")
            try:
                if httpx.get(url + "/ready", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("private registry did not become ready in 60 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
