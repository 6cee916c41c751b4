"""The layers of docs/architecture.md, enforced: who may import whom, and how large a module may grow.

Every ``import`` and ``from ... import`` in ``src/flux`` is read with :mod:`ast`
(including imports inside functions, which are still dependencies).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from flux.paths import project_root

SRC = project_root() / "src"
FLUX = SRC / "flux"
GENERATED = FLUX / "contracts" / "generated"
MAX_MODULE_BYTES = 15 * 1024


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(FLUX.rglob("*.py")):
        if GENERATED in path.parents:
            continue
        yield _module_name(path), path


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "flux" or name.startswith("flux.")}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


IMPORTS = {name: _imports(path) for name, path in _modules()}

# (importing package, forbidden package, why)
FORBIDDEN = [
    ("flux.schemas", "flux.", "flux.schemas is pure: it imports nothing of Flux outside itself"),
    ("flux.bff", "flux.registry", "the BFF reaches the registry only over HTTP (serde, contracts)"),
    ("flux.services", "flux.registry", "services talk to the registry only through the serde"),
    ("flux.bff", "flux.services", "services and the BFF meet only in Kafka and the contracts"),
    ("flux.services", "flux.bff", "services and the BFF meet only in Kafka and the contracts"),
    ("flux.serde", "flux.registry", "the serde is a registry client, not part of the server"),
    ("flux.serde", "flux.bff", "the serde is below the BFF"),
    ("flux.serde", "flux.services", "the serde is below the services"),
    ("flux.kafka", "flux.bff", "Kafka clients are below every component"),
    ("flux.kafka", "flux.services", "Kafka clients are below every component"),
    ("flux.kafka", "flux.registry", "Kafka clients are below every component"),
    ("flux.kafka", "flux.serde", "Kafka clients move bytes; they do not decode"),
    ("flux.registry", "flux.bff", "the registry is a server of its own"),
    ("flux.registry", "flux.services", "the registry is a server of its own"),
    ("flux.registry", "flux.serde", "the registry does not use the client-side serde"),
    ("flux.schema_tools", "flux.registry", "the tooling talks to a registry over its HTTP API"),
]


@pytest.mark.parametrize(("importer", "forbidden", "why"), FORBIDDEN, ids=lambda v: str(v)[:40])
def test_layer_rule(importer: str, forbidden: str, why: str) -> None:
    broken = []
    for module, imported in IMPORTS.items():
        if not _within(module, importer):
            continue
        for name in imported:
            if forbidden.endswith("."):  # anything of Flux outside the importing package itself
                hit = name.startswith(forbidden) and not _within(name, importer)
            else:
                hit = _within(name, forbidden)
            if hit:
                broken.append(f"{module} imports {name}")
    assert not broken, f"{why}:\n" + "\n".join(sorted(broken))


def test_the_schema_tooling_package_imports_nothing_on_its_own() -> None:
    """codegen imports flux.schema_tools.subjects even when the generated contracts do not import."""
    assert IMPORTS["flux.schema_tools"] == set()
    subjects = IMPORTS["flux.schema_tools.subjects"]
    assert not any(_within(name, "flux.contracts") or _within(name, "flux.serde") for name in subjects)


def test_the_rules_see_real_imports() -> None:
    """The checker itself: it finds imports that are known to exist (so an empty result means something)."""
    assert "flux.schemas.compatibility" in IMPORTS["flux.schema_tools.gate"]
    assert any(_within(name, "flux.kafka") for name in IMPORTS["flux.bff.kafka_events"])
    assert "flux.schemas.errors" in IMPORTS["flux.schemas.compatibility"]


def test_no_hand_written_module_exceeds_15_kb() -> None:
    large = {name: path.stat().st_size for name, path in _modules() if path.stat().st_size > MAX_MODULE_BYTES}
    assert not large, f"split these modules (> {MAX_MODULE_BYTES} bytes): {large}"
