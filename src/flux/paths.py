"""Where Flux finds its checked-in assets (schemas, catalogue, devstack files).

Flux runs from a source checkout (editable install) or from the container
image, which copies the repository; both keep the same tree. ``FLUX_ROOT``
overrides the guess for unusual layouts.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

__all__ = ["project_root", "schemas_dir"]


@cache
def project_root() -> Path:
    """Return the repository root (the folder that holds ``schemas/``)."""
    override = os.environ.get("FLUX_ROOT")
    if override:
        return Path(override).resolve()
    # src/flux/paths.py -> parents[2] is the checkout root.
    root = Path(__file__).resolve().parents[2]
    if not (root / "schemas").is_dir():
        raise FileNotFoundError(
            f"cannot find Flux's schemas/ folder next to {root}; set FLUX_ROOT to the repository root"
        )
    return root


def schemas_dir() -> Path:
    """Return the ``schemas/`` folder (Avro, Protobuf and the topic catalogue)."""
    return project_root() / "schemas"
