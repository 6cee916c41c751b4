"""Where Flux finds its checked-in assets (schemas, catalogue, devstack files).

Three layouts, tried in this order:

1. ``FLUX_ROOT``, when set: a folder that holds ``schemas/`` (for unusual layouts).
2. A source checkout (editable install, or the container image, which copies the repository):
   the repository root, two levels above this file, holding ``schemas/`` and ``pyproject.toml``.
3. An installed wheel (``pip install flux``): the copy the build puts inside the package,
   ``flux/_data/`` (``setup.py`` copies ``schemas/`` there), so the catalogue, the schema history and
   ``flux schemas check`` work from any directory. The dashboard's files, including its npm assets,
   are package data of ``flux.bff`` and are found next to the code in every layout.

Example:
    >>> (project_root() / "schemas" / "topics.yaml").is_file()
    True
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Final

__all__ = ["PACKAGED_ROOT", "in_checkout", "project_root", "schemas_dir"]

PACKAGED_ROOT: Final = Path(__file__).resolve().parent / "_data"
"""Where an installed wheel keeps its copy of ``schemas/`` (as ``_data/schemas``)."""
_CHECKOUT: Final = Path(__file__).resolve().parents[2]


def in_checkout() -> bool:
    """Whether this ``flux`` package is imported from a source checkout (``src/flux`` of the repository)."""
    return (_CHECKOUT / "schemas").is_dir() and (_CHECKOUT / "pyproject.toml").is_file()


@cache
def project_root() -> Path:
    """Return the folder that holds ``schemas/``: ``FLUX_ROOT``, the checkout root, or the packaged copy.

    Raises:
        FileNotFoundError: none of the three layouts has a ``schemas/`` folder.
    """
    override = os.environ.get("FLUX_ROOT")
    if override:
        return Path(override).resolve()
    if in_checkout():
        return _CHECKOUT
    if (PACKAGED_ROOT / "schemas").is_dir():
        return PACKAGED_ROOT
    raise FileNotFoundError(
        f"cannot find Flux's schemas/ folder: not in a checkout ({_CHECKOUT}) and not packaged "
        f"({PACKAGED_ROOT}); set FLUX_ROOT to a folder that holds schemas/"
    )


def schemas_dir() -> Path:
    """Return the ``schemas/`` folder (Avro, Protobuf and the topic catalogue)."""
    return project_root() / "schemas"
