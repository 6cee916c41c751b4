"""The wheel, installed outside the source tree, carries everything Flux reads at run time.

One wheel is built (``uv build``: the sdist, then the wheel from the sdist, so ``MANIFEST.in`` is
exercised too) and installed into fresh virtual environments in a temporary folder, pinned to
``uv.lock``'s versions (``uv export``), which uv takes from its cache when ``make setup`` has run.
Every command runs from another temporary folder without ``FLUX_ROOT``, so nothing can come from the
checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from flux.paths import project_root

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ROOT = project_root()
UV = Path(sys.executable).parent / "uv"
NPM_ASSET = "flux/bff/dashboard/node_modules/socket.io-client/dist/socket.io.min.js"

# Run inside the installed venv: the BFF's routes serve the dashboard and its npm asset from package data.
_SERVE_DASHBOARD = """
import asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from flux.bff.metrics import BffMetrics
from flux.bff.routes import add_routes
import flux.paths

async def main():
    app = web.Application()
    add_routes(app, BffMetrics(), lambda: {})
    async with TestClient(TestServer(app)) as client:
        for path in ("/", "/app.js", "/vendor/socket.io.min.js", "/asyncapi.json"):
            response = await client.get(path)
            print(path, response.status, len(await response.read()))
    print("root", flux.paths.project_root())

asyncio.run(main())
"""

_CLIENT_ONLY = """
import importlib.util
from flux.client import FluxClient
client = FluxClient("http://127.0.0.1:9")
print("client", type(client).__name__)
print("kafka", importlib.util.find_spec("confluent_kafka") is not None)
"""


def _env() -> dict[str, str]:
    hidden = {"FLUX_ROOT", "PYTHONPATH", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONHOME"}
    return {k: v for k, v in os.environ.items() if k not in hidden}


def _run(args: list[str | Path], cwd: Path, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel, and a constraints file of uv.lock's runtime versions."""
    if not UV.is_file():
        pytest.skip(f"uv is not installed at {UV} (make setup installs it into .venv)")
    out = tmp_path_factory.mktemp("dist")
    _run([UV, "build", "--quiet", "--out-dir", out, ROOT], cwd=out)
    (wheel,) = out.glob("flux-*.whl")
    constraints = out / "constraints.txt"
    export = [UV, "export", "--frozen", "--no-emit-project", "--no-hashes", "--all-extras", "-o", constraints]
    _run([*export, "--quiet", "--project", ROOT], cwd=out)
    return wheel, constraints


def _venv(where: Path) -> Path:
    _run([UV, "venv", "--quiet", "--python", sys.executable, where / "venv"], cwd=where)
    return where / "venv" / "bin"


def test_the_wheel_carries_schemas_and_dashboard(built: tuple[Path, Path]) -> None:
    names = set(zipfile.ZipFile(built[0]).namelist())
    assert "flux/_data/schemas/topics.yaml" in names
    assert "flux/_data/schemas/compatibility.yaml" in names
    assert "flux/_data/schemas/proto/crypto/ticker_batch.v1.proto" in names
    assert {"flux/bff/dashboard/index.html", "flux/bff/dashboard/app.js", "flux/py.typed"} <= names
    assert not any("__pycache__" in n or n.endswith(".map") for n in names)
    if (ROOT / "src" / NPM_ASSET).is_file():
        assert NPM_ASSET in names


def test_installed_flux_runs_outside_the_tree(built: tuple[Path, Path], tmp_path: Path) -> None:
    wheel, constraints = built
    bin_dir = _venv(tmp_path)
    _run(
        [UV, "pip", "install", "--quiet", "--python", bin_dir / "python", "-c", constraints, wheel],
        cwd=tmp_path,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    assert _run([bin_dir / "flux", "--version"], cwd=elsewhere).strip() == "flux 0.1.0"
    check = _run([bin_dir / "flux", "schemas", "check"], cwd=elsewhere)
    assert "0 problem(s)" in check and "weather.service.event.updated-value" in check
    assert "weather.service.command.fetch" in _run([bin_dir / "flux", "topics", "list"], cwd=elsewhere)
    document = _run([bin_dir / "flux", "schemas", "asyncapi"], cwd=elsewhere)
    assert document == (ROOT / "docs" / "asyncapi.json").read_text(encoding="utf-8")

    served = _run([bin_dir / "python", "-c", _SERVE_DASHBOARD], cwd=elsewhere)
    assert "/ 200" in served and "/app.js 200" in served and "/asyncapi.json 200" in served
    if (ROOT / "src" / NPM_ASSET).is_file():
        assert "/vendor/socket.io.min.js 200" in served
    root = served.split("root ", 1)[1].strip()
    assert Path(root).is_relative_to(tmp_path / "venv"), root


def test_the_client_extra_is_enough_for_flux_client(built: tuple[Path, Path], tmp_path: Path) -> None:
    """``flux`` without its dependencies plus the ``client`` extra's requirements: ``flux.client`` works."""
    wheel, constraints = built
    metadata = Parser().parsestr(zipfile.ZipFile(wheel).read("flux-0.1.0.dist-info/METADATA").decode())
    client = [
        r.split(";")[0].strip() for r in metadata.get_all("Requires-Dist", []) if 'extra == "client"' in r
    ]
    assert client, "the wheel declares no `client` extra"
    bin_dir = _venv(tmp_path)
    install = [UV, "pip", "install", "--quiet", "--python", bin_dir / "python", "-c", constraints]
    _run([*install, "--no-deps", wheel], cwd=tmp_path)
    _run([*install, *client], cwd=tmp_path)
    out = _run([bin_dir / "python", "-c", _CLIENT_ONLY], cwd=tmp_path)
    assert "client FluxClient" in out
    assert "kafka False" in out, "the client-only install pulled in the platform's dependencies"
