"""Build hook: the wheel carries the run-time assets that live outside ``src/``.

``schemas/`` (the topic catalogue, the Avro and Protobuf schema history, the compatibility policy and
the data contracts) is copied into the wheel as ``flux/_data/schemas/``, where ``flux.paths`` finds it
when Flux runs outside a checkout. Everything else about the build is in ``pyproject.toml``; the
dashboard's npm assets are package data there (run ``make setup`` before building a wheel).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSETS = ("schemas",)
NPM_ASSET = ROOT / "src/flux/bff/dashboard/node_modules/socket.io-client/dist/socket.io.min.js"


class BuildPyWithAssets(build_py):
    """``build_py`` that also copies ``ASSETS`` into ``flux/_data/`` (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        for name in ASSETS:
            target = Path(self.build_lib) / "flux" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        if not NPM_ASSET.is_file():
            self.warn("the dashboard's npm assets are not installed: run `make setup` before building")


setup(cmdclass={"build_py": BuildPyWithAssets})
