"""The generated tree: up to date with schemas/, `--check` catches drift, and it passes mypy --strict."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.__main__ import main
from codegen.generate import GENERATED_DIR, check_tree, generate_all
from flux.paths import project_root


def test_committed_generated_code_is_current() -> None:
    assert check_tree() == [], "run `make codegen` and commit src/flux/contracts/generated"


def test_generation_is_deterministic() -> None:
    assert generate_all() == generate_all()


def test_every_subject_produces_a_module() -> None:
    names = set(generate_all())
    assert {"weather_updated.py", "ticker_batch_pb2.py", "ticker_batch_pb2.pyi", "__init__.py"} <= names


def _copy_tree(tmp_path: Path) -> Path:
    target = tmp_path / GENERATED_DIR
    shutil.copytree(project_root() / GENERATED_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_check_reports_stale_missing_and_extra_files(tmp_path: Path) -> None:
    target = _copy_tree(tmp_path)
    (target / "weather_updated.py").write_text("# edited by hand\n", encoding="utf-8")
    (target / "news_updated.py").unlink()
    (target / "orphan.py").write_text("", encoding="utf-8")
    problems = check_tree(tmp_path)
    assert any(p.startswith("stale:") and p.endswith("weather_updated.py") for p in problems)
    assert any(p.startswith("missing:") and p.endswith("news_updated.py") for p in problems)
    assert any(p.startswith("not generated") and p.endswith("orphan.py") for p in problems)


def test_check_command_exits_non_zero_when_stale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = _copy_tree(tmp_path)
    (target / "refresh_news.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr("codegen.__main__.check_tree", lambda: check_tree(tmp_path))
    assert main(["--check"]) == 1


def test_generated_code_passes_mypy_strict() -> None:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    if mypy is None:
        pytest.skip("mypy is not installed in this environment")
    result = subprocess.run(
        [mypy, "--strict", "-p", "flux.contracts"],
        cwd=project_root(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_protoc_version_noise_is_not_staleness(tmp_path: Path) -> None:
    target = _copy_tree(tmp_path)
    module = target / "ticker_batch_pb2.py"
    text = module.read_text(encoding="utf-8")
    module.write_text(
        text.replace("# Protobuf Python Version: ", "# Protobuf Python Version: 99."), encoding="utf-8"
    )
    assert check_tree(tmp_path) == []
    module.write_text(text.replace("ticker_batch.proto", "ticker_batch2.proto"), encoding="utf-8")
    assert any(p.endswith("ticker_batch_pb2.py") for p in check_tree(tmp_path))
