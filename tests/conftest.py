"""Shared fixtures. ``stack``: the real embedded stack (Kafka KRaft, Flux registry, Valkey) on ephemeral ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flux.devstack.stack import RunningStack
from flux.testing.stack import make_ephemeral_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One real stack for the whole test session, torn down at the end."""
    dev = make_ephemeral_stack(tmp_path_factory.mktemp("flux-stack"))
    running = dev.up()
    try:
        yield running
    finally:
        dev.down()


@pytest.fixture
def output_dir() -> Path:
    """Where tests write artefacts a person may want to look at (screenshots, reports)."""
    path = Path(__file__).resolve().parents[1] / "test-output"
    path.mkdir(exist_ok=True)
    return path
