"""flux.paths: schemas/ is found in a checkout, in an installed wheel's package data, or at FLUX_ROOT."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux import paths


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the cached root for the test, and again afterwards (the real one is cached for everyone)."""
    monkeypatch.delenv("FLUX_ROOT", raising=False)
    paths.project_root.cache_clear()
    yield
    paths.project_root.cache_clear()


def _with_schemas(folder: Path) -> Path:
    (folder / "schemas").mkdir(parents=True)
    return folder


@pytest.mark.usefixtures("fresh")
def test_a_checkout_is_found_first() -> None:
    assert paths.in_checkout()
    assert (paths.project_root() / "pyproject.toml").is_file()
    assert paths.schemas_dir() == paths.project_root() / "schemas"


@pytest.mark.usefixtures("fresh")
def test_flux_root_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLUX_ROOT", str(tmp_path))
    assert paths.project_root() == tmp_path.resolve()


@pytest.mark.usefixtures("fresh")
def test_outside_a_checkout_the_packaged_copy_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(paths, "_CHECKOUT", tmp_path / "site-packages-parent")
    monkeypatch.setattr(paths, "PACKAGED_ROOT", _with_schemas(tmp_path / "flux" / "_data"))
    assert not paths.in_checkout()
    assert paths.schemas_dir() == tmp_path / "flux" / "_data" / "schemas"


@pytest.mark.usefixtures("fresh")
def test_nowhere_is_an_error_that_names_flux_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(paths, "_CHECKOUT", tmp_path / "a")
    monkeypatch.setattr(paths, "PACKAGED_ROOT", tmp_path / "b")
    with pytest.raises(FileNotFoundError, match="FLUX_ROOT"):
        paths.project_root()
