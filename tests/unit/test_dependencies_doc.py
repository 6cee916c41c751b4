"""docs/dependencies.md explains every Python dependency declared in pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from flux.paths import project_root

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def _declared_packages() -> list[str]:
    project = tomllib.loads((project_root() / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    names = []
    for requirement in requirements:
        match = _NAME.match(requirement.strip())
        assert match is not None, f"cannot read a package name from {requirement!r}"
        names.append(match.group(0).lower())
    return names


def _documented_packages() -> set[str]:
    text = (project_root() / "docs" / "dependencies.md").read_text(encoding="utf-8")
    return {m.group(1).lower() for m in re.finditer(r"^\| `([A-Za-z0-9._-]+)[`\[]", text, re.MULTILINE)}


def test_every_declared_dependency_is_explained() -> None:
    missing = sorted(set(_declared_packages()) - _documented_packages())
    assert not missing, f"add a line for {missing} to docs/dependencies.md"


def test_no_explanation_for_a_package_that_is_gone() -> None:
    stale = sorted(_documented_packages() - set(_declared_packages()))
    assert not stale, f"docs/dependencies.md explains packages pyproject.toml no longer declares: {stale}"
