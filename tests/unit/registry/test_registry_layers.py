"""The registry's layer rules, kept by a test: ``core`` imports neither HTTP nor Kafka nor the
other layers, and ``api`` reaches the registry only through ``RegistryService`` (never its state)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import flux.registry

PACKAGE = Path(flux.registry.__file__).parent


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: p.name)
def test_core_is_independent_of_http_kafka_and_other_layers(path: Path) -> None:
    forbidden = (
        "aiohttp",
        "confluent_kafka",
        "flux.registry.api",
        "flux.registry.storage",
        "flux.registry.server",
    )
    assert not [name for name in imported(path) if name.startswith(forbidden)]


@pytest.mark.parametrize("path", modules("api"), ids=lambda p: p.name)
def test_api_never_touches_the_state(path: Path) -> None:
    tree = ast.parse(path.read_text())
    assert "flux.registry.core.state" not in imported(path)
    assert not [
        node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "state"
    ]
